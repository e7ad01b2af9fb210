import BERT
import Datasets
import Foundation
import LayerStats
import Quantization
import RunRecords
import TensorCore

/// Options of a statistics run.
public struct StatsOptions: Sendable, Codable {
    /// Also quantize one layer at a time and count prediction flips (one extra pass per quantized layer).
    public var sensitivity: Bool
    /// Bins of every histogram (multiple of 4).
    public var bins: Int
    /// How the examples were batched (recorded in the file).
    public var batching: BatchingOptions
    /// Keep FP32 logits holding NaN or ±Inf; otherwise the first such example throws
    /// `ExperimentError.nonFiniteOutput` (with no data file: the caller knows it). Not recorded in the file.
    public var allowNonFinite = false
    /// `k`: outlier channels listed per tensor in `/fp32/outliers` (`ChannelOutliers.summary`).
    public var outlierTopK: Int
    /// `N`: rows with the largest `|x|` kept per channel to count token classes (`ChannelOutliers.keptRows`).
    public var outlierRows: Int

    /// Default `k` and `N`.
    public static let defaultOutlierTopK = 8, defaultOutlierRows = 64

    /// Options; `bins` must be a positive multiple of 4, `outlierTopK` and `outlierRows` at least 1.
    public init(sensitivity: Bool = false, bins: Int = Histogram.defaultBins, batching: BatchingOptions = BatchingOptions(),
                allowNonFinite: Bool = false, outlierTopK: Int = StatsOptions.defaultOutlierTopK,
                outlierRows: Int = StatsOptions.defaultOutlierRows) {
        self.sensitivity = sensitivity
        self.bins = bins
        self.batching = batching
        self.allowNonFinite = allowNonFinite
        self.outlierTopK = outlierTopK
        self.outlierRows = outlierRows
    }

    enum CodingKeys: String, CodingKey {
        case sensitivity, bins, batching
        case outlierTopK = "outlier_top_k", outlierRows = "outlier_rows"
    }
}

/// Layer-wise error statistics of quantization schemes against the FP32 model: the experiment-layer
/// wiring of `LayerStats` (which knows neither BERT nor schemes) to `BertModel` and `Quantization`.
///
/// For every batch the FP32 model runs once with a `RecordingTap`, then each scheme's quantized model runs on the
/// same batch with a `ComparingTap` that compares every linear output and hidden state on the real tokens. Weight
/// statistics come from `WeightQuantizer.quantizeWeights` on the FP32 weight with the layer's weight scheme — the
/// same codes the quantized operator was built from. Given a `TokenClassifier`, the FP32 pass also records the
/// outlier channels of every linear input and residual sum (`RecordingTap.outliers`, `/fp32/outliers`).
public enum StatsRun {
    /// Runs the statistics.
    /// - Parameters:
    ///   - model: an FP32 model (every linear layer a `DenseLinear`).
    ///   - schemes: schemes to measure, in report order.
    ///   - batches: evaluation batches; `labels` their gold labels (or nil).
    ///   - calibration: batches for static schemes, asked for only when a scheme needs them.
    ///   - tokenClasses: classifies each batch's rows for the outlier statistics (`/fp32/outliers`); nil records none.
    ///   - progress: `(phase, done, total)` after each pass over a batch.
    /// - Throws: `ExperimentError` for a model that is already quantized; `QuantizationError` for bad schemes.
    public static func run(model: BertModel, schemes: [ModelScheme], batches: [BertBatch], labels: [Int]?,
                           options: StatsOptions = StatsOptions(), tokenClasses: TokenClassifier? = nil,
                           calibration: () throws -> [BertBatch] = { [] },
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> StatsReport {
        let start = DispatchTime.now().uptimeNanoseconds
        for name in model.linearNames where !(model.linears[name] is DenseLinear) {
            throw ExperimentError.invalid("layer \(name) is not FP32: statistics need an FP32 model folder")
        }
        var calibrationBatches: [BertBatch]?
        var prepared: [Prepared] = []
        for scheme in schemes {
            try scheme.validate()
            var calibrations: [String: Calibration] = [:]
            if scheme.requiresCalibration {
                if calibrationBatches == nil { calibrationBatches = try calibration() }
                calibrations = try ModelQuantization.calibrate(scheme, model: model, batches: calibrationBatches!)
            }
            let quantized = try ModelQuantization.apply(scheme, to: model, calibrations: calibrations)
            prepared.append(Prepared(scheme: scheme, model: quantized, calibrations: calibrations, bins: options.bins))
        }
        return try measure(model: model, prepared: prepared, batches: batches, labels: labels, options: options,
                           tokenClasses: tokenClasses, start: start, progress: progress)
    }

    /// Statistics for models already quantized elsewhere (a sweep's variants), each with the static ranges it was
    /// calibrated with (empty for dynamic schemes).
    public static func run(model: BertModel, quantized: [(scheme: ModelScheme, model: BertModel, calibrations: [String: Calibration])],
                           batches: [BertBatch], labels: [Int]?, options: StatsOptions = StatsOptions(),
                           tokenClasses: TokenClassifier? = nil,
                           progress: ((String, Int, Int) -> Void)? = nil) throws -> StatsReport {
        let start = DispatchTime.now().uptimeNanoseconds
        let prepared = quantized.map { Prepared(scheme: $0.scheme, model: $0.model, calibrations: $0.calibrations, bins: options.bins) }
        return try measure(model: model, prepared: prepared, batches: batches, labels: labels, options: options,
                           tokenClasses: tokenClasses, start: start, progress: progress)
    }

    static func measure(model: BertModel, prepared: [Prepared], batches: [BertBatch], labels: [Int]?,
                        options: StatsOptions, tokenClasses: TokenClassifier?, start: UInt64,
                        progress: ((String, Int, Int) -> Void)?) throws -> StatsReport {
        let schemes = prepared.map(\.scheme)
        guard options.outlierTopK >= 1, options.outlierRows >= 1 else {
            throw ExperimentError.invalid("outlier statistics need top-k ≥ 1 and rows ≥ 1 (got \(options.outlierTopK), \(options.outlierRows))")
        }

        // Side by side: FP32 once per batch, then every scheme on the same batch.
        let recorder = RecordingTap(recordInputRanges: true, bins: options.bins,
                                    outlierRows: tokenClasses == nil ? 0 : options.outlierRows)
        let examples = batches.reduce(0) { $0 + $1.batch }
        var done = 0
        for batch in batches {
            recorder.tokenClasses = tokenClasses?.classes(batch)
            _ = try model.forward(batch, tap: recorder)
            for p in prepared {
                p.tap.reference = recorder
                _ = try p.model.forward(batch, tap: p.tap)
            }
            done += batch.batch
            progress?("fp32 + \(schemes.count) scheme(s)", done, examples)
        }
        let fp32Predictions = recorder.predictions
        let fp32Logits = recorder.logits
        if !options.allowNonFinite {
            for (i, row) in fp32Logits.enumerated() {
                if let bad = row.first(where: { !$0.isFinite }) { throw Evaluator.nonFinite(example: i, value: bad, data: nil) }
            }
        }

        var reports: [SchemeReport] = []
        for p in prepared {
            var layers: [LayerReport] = []
            for name in model.linearNames {
                let ls = p.scheme.layerScheme(for: name)
                let dense = model.linears[name] as! DenseLinear
                let weight = try ls.map { try weightStatistics(dense.weight, scheme: $0.weight, name: name, bins: options.bins) }
                let (gridKind, staticGrid) = inputGridDescription(ls, calibration: p.calibrations[name])
                layers.append(LayerReport(name: name, layerScheme: ls, weight: weight,
                                          output: p.tap.outputs[name] ?? OutputComparison(bins: options.bins),
                                          input: p.tap.inputs[name] ?? RangeAccumulator(bins: options.bins),
                                          inputGrid: gridKind, staticInputGrid: staticGrid))
            }
            var embeddings: [EmbeddingReport] = []
            if p.scheme.quantizeEmbeddings, let es = p.scheme.embeddingScheme {
                for name in model.embeddingNames {
                    let t = model.embeddingTables[name]!
                    embeddings.append(EmbeddingReport(name: name, weight: try weightStatistics(t, scheme: es, name: name, bins: options.bins)))
                }
            }
            let predictions = p.tap.predictions
            reports.append(SchemeReport(
                scheme: p.scheme, layers: layers, embeddings: embeddings, hiddenNames: p.tap.hiddenOrder,
                hiddenStates: p.tap.hiddenOrder.map { p.tap.hiddenStates[$0]! }, logits: p.tap.logitError.metrics,
                predictions: predictions, flips: p.tap.flips,
                metrics: labels.map { ClassificationMetrics(predictions: predictions, labels: $0) }))
        }

        if options.sensitivity {
            try sensitivity(model: model, prepared: prepared, reports: &reports, batches: batches,
                            fp32Predictions: fp32Predictions, fp32Logits: fp32Logits, progress: progress)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let outliers = recorder.outlierOrder.map { t in
            TensorOutliers(name: t.name, kind: t.point == .residualSum ? .residualSum : .linearInput,
                           statistics: recorder.outliers[t.name]!)
        }
        return StatsReport(layerNames: model.linearNames, fp32Inputs: recorder.inputRanges, fp32Outliers: outliers,
                           fp32Predictions: fp32Predictions, fp32Logits: fp32Logits, labels: labels,
                           fp32Metrics: labels.map { ClassificationMetrics(predictions: fp32Predictions, labels: $0) },
                           schemes: reports, examples: examples, options: options, seconds: seconds)
    }

    /// Weight statistics of `w` under `scheme`: integer codes from `WeightQuantizer.quantizeWeights` (the
    /// operator's own codes), or binary16 / bfloat16 rounding for the float formats.
    public static func weightStatistics(_ w: Tensor, scheme: QuantScheme, name: String, bins: Int = Histogram.defaultBins) throws -> WeightStatistics {
        if scheme.isFloat {
            return WeightStatistics(weight: w.data, dequantized: try WeightQuantizer.roundTrip(w, scheme: scheme).data,
                                    shape: w.shape, grid: nil, bins: bins)
        }
        let q = try WeightQuantizer.quantizeWeights(w, scheme: scheme, name: name)
        let grid: WeightGrid
        switch q.granularity {
        case .perTensor:
            grid = WeightGrid(scales: q.params.scales, inverseScales: q.params.inverseScales, zeroPoints: q.params.zeroPoints,
                              qmin: q.params.qmin, qmax: q.params.qmax, granularity: "per_tensor")
        case .perChannel:
            grid = WeightGrid(scales: q.params.scales, inverseScales: q.params.inverseScales, zeroPoints: q.params.zeroPoints,
                              qmin: q.params.qmin, qmax: q.params.qmax, granularity: "per_channel")
        case let .perGroup(size):
            grid = WeightGrid(scales: q.params.scales, inverseScales: q.params.inverseScales, zeroPoints: q.params.zeroPoints,
                              qmin: q.params.qmin, qmax: q.params.qmax, granularity: "per_group", groupSize: size)
        case .perEmbeddingGroup:
            preconditionFailure("quantizeWeights refuses per_embedding_group weights")
        }
        return WeightStatistics(weight: w.data, dequantized: q.dequantized().data, shape: w.shape, grid: grid, bins: bins)
    }

    // MARK: - Internals

    /// One scheme ready to run: its quantized model, calibration and comparing tap.
    final class Prepared {
        let scheme: ModelScheme
        let model: BertModel
        let calibrations: [String: Calibration]
        let tap: ComparingTap

        init(scheme: ModelScheme, model: BertModel, calibrations: [String: Calibration], bins: Int) {
            self.scheme = scheme
            self.model = model
            self.calibrations = calibrations
            var activation: [String: QuantScheme] = [:]
            for name in model.linearNames {
                if let a = scheme.layerScheme(for: name)?.activation, a.format == .integer { activation[name] = a }
            }
            tap = ComparingTap(clipGrid: { [activation] name, values, rows, width in
                guard let a = activation[name] else { return nil }
                return StatsRun.clipGrid(a, calibrated: calibrations[name]?.input, values, rows: rows, width: width)
            }, bins: bins)
        }
    }

    /// The grid `x[rows, width]` is quantized onto by a layer with activation scheme `a`, mirroring
    /// `ActivationRange.resolve`: whole-input min/max (padding included, as PyTorch) for dynamic per-tensor ranges,
    /// per-row min/max for per-row ranges, the calibrated parameters for static ones.
    static func clipGrid(_ a: QuantScheme, calibrated: QuantParams?, _ x: UnsafeBufferPointer<Float>,
                         rows: Int, width: Int) -> [ClipParams]? {
        // Per-embedding-group grids are per column group, not per row or tensor: no clip statistics for them yet.
        if a.granularity.isEmbeddingGroup { return nil }
        func grid(_ lo: Float, _ hi: Float) -> ClipParams {
            let e = a.chooseParams(min: lo, max: hi)
            return ClipParams(inverseScale: e.inverseScale, zeroPoint: e.zeroPoint, qmin: a.qmin, qmax: a.qmax)
        }
        func minMax(_ from: Int, _ count: Int) -> (Float, Float) {
            guard count > 0 else { return (0, 0) }
            var lo = x[from], hi = x[from]
            for i in from..<(from + count) {
                let v = x[i]
                if v < lo { lo = v }
                if v > hi { hi = v }
            }
            return (lo, hi)
        }
        switch a.range {
        case .dynamicPerTensor:
            let (lo, hi) = minMax(0, rows * width)
            return [grid(lo, hi)]
        case .dynamicPerRow:
            return (0..<rows).map { r in let (lo, hi) = minMax(r * width, width); return grid(lo, hi) }
        default:
            guard let c = calibrated else { return nil }
            return [ClipParams(inverseScale: c.inverseScales[0], zeroPoint: c.zeroPoints[0], qmin: c.qmin, qmax: c.qmax)]
        }
    }

    /// Input grid kind and, for static schemes, the calibrated grid.
    static func inputGridDescription(_ ls: LayerScheme?, calibration: Calibration?) -> (String, ClipParams?) {
        guard let a = ls?.activation else { return ("none", nil) }
        if a.granularity.isEmbeddingGroup { return ("static_per_embedding_group", nil) }
        switch a.range {
        case .dynamicPerTensor: return ("dynamic_per_tensor", nil)
        case .dynamicPerRow: return ("dynamic_per_row", nil)
        default:
            guard let c = calibration?.input else { return ("static", nil) }
            return ("static", ClipParams(inverseScale: c.inverseScales[0], zeroPoint: c.zeroPoints[0], qmin: c.qmin, qmax: c.qmax))
        }
    }

    /// One extra pass per quantized layer with only that layer quantized (and one with only the embedding tables,
    /// when the scheme quantizes them); flips and logit error against FP32.
    static func sensitivity(model: BertModel, prepared: [Prepared], reports: inout [SchemeReport], batches: [BertBatch],
                            fp32Predictions: [Int], fp32Logits: [[Float]],
                            progress: ((String, Int, Int) -> Void)?) throws {
        func evaluate(_ m: BertModel) throws -> (flips: Int, logits: ErrorMetrics) {
            let r = try Evaluator.run(model: m, batches: batches, labels: nil, allowNonFinite: true)  // compared, not scored
            var acc = ErrorAccumulator()
            for (a, b) in zip(fp32Logits, r.logits) {
                a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { acc.add(reference: x, quantized: $0) } }
            }
            return (zip(r.predictions, fp32Predictions).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) }, acc.metrics)
        }
        let total = prepared.reduce(0) { sum, p in
            sum + model.linearNames.filter { p.scheme.layerScheme(for: $0) != nil }.count + (p.scheme.quantizeEmbeddings ? 1 : 0)
        }
        var done = 0
        for (i, p) in prepared.enumerated() {
            for (j, name) in model.linearNames.enumerated() where reports[i].layers[j].isQuantized {
                let single = model.replacingLinears { n, op in n == name ? p.model.linears[n]! : op }
                let r = try evaluate(single)
                reports[i].layers[j].sensitivityFlips = r.flips
                reports[i].layers[j].sensitivityLogits = r.logits
                done += 1
                progress?("sensitivity \(p.scheme.name)", done, total)
            }
            if p.scheme.quantizeEmbeddings {
                var single = model
                single.embeddingTables = p.model.embeddingTables
                reports[i].embeddingSensitivityFlips = try evaluate(single).flips
                done += 1
                progress?("sensitivity \(p.scheme.name)", done, total)
            }
        }
    }
}
