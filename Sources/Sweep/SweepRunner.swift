import BERT
import Checkpoints
import Datasets
import Experiments
import Foundation
import Quantization
import RunRecords
import TensorCore
import _Support

/// Runs an `Experiment`: the FP32 baseline and every scheme, at every thread count, `repeats` times.
///
/// The phases, in order: `load` the model folder and batches, `quantize` every scheme, `trainQAT` rows,
/// `evaluate` (for each thread count the schemes run in alternation, A B C A B C … like `Benchmark`, after one
/// warm-up batch each, so slow drifts of a shared machine hit every scheme alike), `tabulate` the rows, and
/// `writeStatistics` (`stats.h5`). Every pass is a full evaluation: the first pass at the first thread count is the
/// reference for metrics and predictions, and every other pass is compared against it (`SchemeResult.threadFlips`).
/// Static schemes are calibrated once, single-threaded. All of it runs in `experiment.numerics` (`Numerics.mode`,
/// restored afterwards).
public enum SweepRunner {
    /// Everything a run produced, before it is written to a folder.
    public struct Outcome {
        public var results: SweepResults
        /// Reference-thread-count predictions are `predictions[scheme]![threads.first!]`.
        public var predictions: [String: [Int: PredictionSet]]
        /// Hashes of every model and data file read.
        public var files: [RunManifest.FileHash]
        public var started: Date
        public var finished: Date
        /// Set when `stats.h5` was written (its path inside the temporary folder).
        public var statisticsFile: URL?
        /// Random-weights seed from the model's safetensors metadata (`qbench model init`), if any.
        public var randomWeightsSeed: String?
        /// Model shape, for reports.
        public var modelConfig: BertConfiguration
        /// `6 layers × 384 (12 heads, intermediate 1536, vocab 30522)`.
        public var modelShape: String {
            let c = modelConfig
            return "\(c.numHiddenLayers) layers × \(c.hiddenSize) (\(c.numAttentionHeads) heads, intermediate "
                + "\(c.intermediateSize), vocab \(c.vocabSize))"
        }
    }

    /// Progress of the current pass: a label and (examples done, total examples of the whole run).
    public typealias Progress = (_ label: String, _ done: Int, _ total: Int) -> Void

    /// Runs `experiment`.
    /// - Parameters:
    ///   - runID: the run folder's name (recorded in results).
    ///   - statisticsURL: where `stats.h5` goes (inside the temporary run folder) when the experiment has a
    ///     `statistics` section; nil writes none.
    ///   - command: the command line, recorded in `stats.h5`.
    ///   - repeatsOverride: fewer timing repeats (reproduce's `--repeats`); metrics do not depend on it.
    ///   - qatDirectory: where the QAT models are written (`<dir>/<row name>/`, kept); nil = a temporary folder,
    ///     removed after the run.
    ///   - bootstrap: how the rows' confidence intervals are drawn (reproduce passes the recorded settings); nil =
    ///     B = `BootstrapSettings.defaultReplicates` seeded with the experiment's `seed`.
    public static func run(_ experiment: Experiment, runID: String, statisticsURL: URL? = nil, command: [String] = [],
                           repeatsOverride: Int? = nil, qatDirectory: URL? = nil, bootstrap: BootstrapSettings? = nil,
                           progress: Progress? = nil) throws -> Outcome {
        let started = Date()
        // Every phase (calibration, QAT rows, evaluation, statistics) runs in the experiment's numerics.
        let savedNumerics = Numerics.mode
        Numerics.setMode(experiment.numerics)
        defer { Numerics.setMode(savedNumerics) }
        let files = try hashInputs(experiment)
        let inputs = try Inputs(experiment)
        var models = try quantize(experiment, inputs: inputs, progress: progress)
        let training = try trainQAT(experiment, inputs: inputs, into: &models, directory: qatDirectory, progress: progress)
        let threads = experiment.config.threads
        let repeats = max(1, repeatsOverride ?? experiment.config.repeats)
        let measured = try evaluate(models, inputs: inputs, threads: threads, repeats: repeats, progress: progress)
        let (rows, intervals) = tabulate(models.map { ($0.scheme, $0.model.parameterBytes) }, measured, experiment: experiment,
                                         training: training, bootstrap: bootstrap)

        var statisticsFile: URL?
        if let request = experiment.config.statistics, let statisticsURL {
            Parallel.setThreads(threads[0])
            try SweepStatistics.write(to: statisticsURL, request: request, baseline: models[0],
                                      variants: models.dropFirst().filter { training[$0.scheme.name] == nil },
                                      batches: inputs.statisticsBatches(request),
                                      modelFolder: experiment.modelPath, dataFile: inputs.dataset.path,
                                      command: command.joined(separator: " "), progress: progress)
            statisticsFile = statisticsURL
        }

        let results = SweepResults(run: runID, experiment: experiment.config.name, examples: inputs.dataset.count,
                                   labelled: inputs.dataset.isLabelled, threads: threads, repeats: repeats, schemes: rows,
                                   bootstrap: intervals)
        var predictions: [String: [Int: PredictionSet]] = [:]
        for (mi, m) in models.enumerated() {
            predictions[m.scheme.name] = Dictionary(uniqueKeysWithValues: threads.enumerated().map { ($1, measured.passes[mi][$0]) })
        }
        let weights = inputs.folder.url.appendingPathComponent("model.safetensors")
        let seed = (try? SafeTensorsFile(url: weights))?.metadata["quantbench.random_seed"]
        return Outcome(results: results, predictions: predictions, files: files, started: started, finished: Date(),
                       statisticsFile: statisticsFile, randomWeightsSeed: seed,
                       modelConfig: inputs.folder.model.config)
    }

    /// One model of the run: its scheme (as it ran) and the static ranges it was calibrated with (empty for
    /// dynamic schemes and for QAT rows, whose ranges are stored in their folder).
    struct RunModel {
        var scheme: ModelScheme
        var model: BertModel
        var calibrations: [String: Calibration]
    }

    /// The model folder, the evaluation batches and (loaded once, when a scheme first asks) the calibration batches.
    final class Inputs {
        let experiment: Experiment
        let folder: ModelFolder
        let dataset: PairDataset
        let batches: [BertBatch]
        private var calibration: [BertBatch]?

        init(_ experiment: Experiment) throws {
            self.experiment = experiment
            folder = try ModelFolder(path: experiment.modelPath, allowNonFinite: experiment.allowNonFinite)
            try folder.checkBinaryClassifier()
            var data = try PairDataset.load(path: experiment.dataPath, split: experiment.config.data.split)
            if experiment.config.data.limit > 0 {
                data = PairDataset(path: data.path, examples: Array(data.examples.prefix(experiment.config.data.limit)))
            }
            dataset = data
            batches = folder.batches(data, options: experiment.config.batching)
        }

        /// The first `calibration.examples` pairs of the calibration split.
        func calibrationBatches() throws -> [BertBatch] {
            if let calibration { return calibration }
            let spec = experiment.config.calibration
            let b = try folder.calibrationBatches(data: experiment.calibrationPath, split: spec.split,
                                                  examples: spec.examples, options: experiment.config.batching)
            calibration = b
            return b
        }

        /// The evaluation batches, or those of the first `request.examples` pairs.
        func statisticsBatches(_ request: StatisticsRequest) -> [BertBatch] {
            guard request.examples > 0 else { return batches }
            return folder.batches(PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(request.examples))),
                                  options: experiment.config.batching)
        }
    }

    /// Phase 1: every scheme's model, FP32 first (quantized from the FP32 folder, or the stored operators).
    static func quantize(_ experiment: Experiment, inputs: Inputs, progress: Progress?) throws -> [RunModel] {
        try experiment.schemes.map { s in
            progress?("quantizing \(s.name)", 0, 1)
            let (m, used, calibrations) = try inputs.folder.model(for: s, calibration: inputs.calibrationBatches)
            return RunModel(scheme: used, model: m, calibrations: calibrations)
        }
    }

    /// Phase 2: QAT rows: train, write a quantized folder, load it back the way `qbench eval --model DIR` does.
    /// Returns each row's training report by row name.
    static func trainQAT(_ experiment: Experiment, inputs: Inputs, into models: inout [RunModel], directory: URL?,
                         progress: Progress?) throws -> [String: QATTrainingReport] {
        guard !experiment.qat.isEmpty else { return [:] }
        let fm = FileManager.default
        // Without a run folder (reproduce): a `TemporaryName` in the system's temporary folder, so one a killed run
        // left there is removed by the next.
        let scratch = fm.temporaryDirectory
        if directory == nil { TemporaryName.removeAbandoned(in: scratch) }
        let dir = directory ?? TemporaryName.beside(scratch.appendingPathComponent("qbench-qat"))
        try fm.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { if directory == nil { try? fm.removeItem(at: dir) } }
        var training: [String: QATTrainingReport] = [:]
        for entry in experiment.qat {
            let out = dir.appendingPathComponent(entry.name)
            training[entry.name] = try QuantizationAwareTraining.trainRow(
                entry, modelFolder: experiment.modelPath, maxSeqLength: experiment.config.batching.maxSeqLength,
                threads: experiment.config.threads.max() ?? 1, output: out,
                allowNonFinite: experiment.allowNonFinite, progress: progress)
            var (m, used, _) = try ModelFolder(path: out.path, allowNonFinite: experiment.allowNonFinite)
                .model(for: entry.scheme) { [] }
            used.name = entry.name
            models.append(RunModel(scheme: used, model: m, calibrations: [:]))
        }
        return training
    }

    /// What the timed passes measured, indexed `[model][thread count]`.
    struct Measurements {
        var seconds: [[[Double]]]
        /// The first pass at each thread count.
        var passes: [[PredictionSet]]
        /// Largest prediction flips and |Δ logit| against the model's reference pass.
        var flips: [[Int]]
        var logitDifference: [[Double]]
        /// Metrics of the reference pass.
        var metrics: [ClassificationMetrics?]
    }

    /// Phase 3: `repeats` passes of every model at every thread count, in alternation.
    static func evaluate(_ models: [RunModel], inputs: Inputs, threads: [Int], repeats: Int,
                         progress: Progress?) throws -> Measurements {
        let dataset = inputs.dataset
        let labels = dataset.isLabelled ? dataset.labels : nil
        let total = threads.count * repeats * models.count * dataset.count
        var done = 0
        func perThread<T>(_ x: T) -> [[T]] { [[T]](repeating: [T](repeating: x, count: threads.count), count: models.count) }
        var m = Measurements(seconds: perThread([Double]()), passes: [[PredictionSet]](repeating: [], count: models.count),
                             flips: perThread(0), logitDifference: perThread(0.0),
                             metrics: [ClassificationMetrics?](repeating: nil, count: models.count))
        let savedThreads = Parallel.threads
        defer { Parallel.setThreads(savedThreads) }
        for (ti, t) in threads.enumerated() {
            Parallel.setThreads(t)
            for model in models { _ = try model.model.forward(inputs.batches[0]) }  // warm-up: page in weights, scratch buffers
            for r in 0..<repeats {
                for (mi, model) in models.enumerated() {
                    let label = "\(model.scheme.name) · \(t) thread\(t == 1 ? "" : "s") · pass \(r + 1)/\(repeats)"
                    let base = done
                    let result = try Evaluator.run(model: model.model, batches: inputs.batches, labels: labels,
                                                   allowNonFinite: inputs.experiment.allowNonFinite,
                                                   data: dataset) { d, _ in
                        progress?(label, base + d, total)
                    }
                    done += dataset.count
                    m.seconds[mi][ti].append(result.seconds)
                    let set = PredictionSet(labels: dataset.examples.map(\.label), predictions: result.predictions,
                                            logits: result.logits)
                    if ti == 0, r == 0 {
                        m.metrics[mi] = result.metrics
                    } else {
                        let ref = m.passes[mi][0]
                        m.flips[mi][ti] = max(m.flips[mi][ti], zip(ref.predictions, set.predictions).filter { $0 != $1 }.count)
                        m.logitDifference[mi][ti] = max(m.logitDifference[mi][ti], maxDifference(ref.logits, set.logits))
                    }
                    if r == 0 { m.passes[mi].append(set) }
                }
            }
        }
        return m
    }

    /// Phase 4: one results row per model (FP32 is model 0): each model's scheme as it ran and its parameter bytes,
    /// with the confidence intervals and McNemar p-values of `SweepIntervals` drawn with `bootstrap` (nil = B =
    /// `BootstrapSettings.defaultReplicates` seeded with the experiment's `seed`); returns the settings used, nil for
    /// unlabelled data. A merged multi-machine run (`SweepMerge`) tabulates its cells' measurements with the same
    /// function.
    static func tabulate(_ models: [(scheme: ModelScheme, parameterBytes: Int)], _ m: Measurements, experiment: Experiment,
                         training: [String: QATTrainingReport],
                         bootstrap: BootstrapSettings? = nil) -> (rows: [SchemeResult], bootstrap: BootstrapSettings?) {
        let threads = experiment.config.threads
        let fp32 = 0
        var rows: [SchemeResult] = models.enumerated().map { mi, model in
            let variant = experiment.variants.first { $0.scheme.name == model.scheme.name }
            let trained = training[model.scheme.name]
            let timings = threads.indices.map { ti -> SchemeResult.Timing in
                let mine = m.seconds[mi][ti].median, base = m.seconds[fp32][ti].median
                return SchemeResult.Timing(threads: threads[ti], seconds: m.seconds[mi][ti], speedup: base / max(mine, 1e-12))
            }
            let ref = m.passes[mi][0].predictions
            return SchemeResult(
                scheme: model.scheme.name, kind: mi == 0 ? "baseline" : trained != nil ? "qat" : variant == nil ? "scheme" : "sweep",
                levels: variant?.levels, metrics: m.metrics[mi], modelBytes: model.parameterBytes, timings: timings,
                deltaF1: m.metrics[mi].flatMap { mine in m.metrics[fp32].map { mine.f1 - $0.f1 } },
                flipsVsFP32: zip(ref, m.passes[fp32][0].predictions).filter { $0 != $1 }.count,
                threadFlips: threads.indices.map {
                    SchemeResult.ThreadFlips(threads: threads[$0], flips: m.flips[mi][$0], maxLogitDifference: m.logitDifference[mi][$0])
                },
                consistentAcrossThreads: m.flips[mi].allSatisfy { $0 == 0 }, training: trained)
        }
        let used = SweepIntervals.attach(to: &rows, predictions: m.passes.map { $0[0] },
                                         baseCell: SweepVariant.baseCell(of: experiment.config.sweep, in: experiment.variants)?.scheme.name,
                                         settings: bootstrap ?? BootstrapSettings(seed: experiment.config.seed))
        return (rows, used)
    }

    /// sha256 of every regular file in the model folder and of every data file the run reads.
    public static func hashInputs(_ experiment: Experiment) throws -> [RunManifest.FileHash] {
        var out = try RunManifest.FileHash.modelFolder(experiment.modelPath)
        func add(_ role: String, _ path: String) throws {
            guard !out.contains(where: { $0.path == path }) else { return }
            out.append(try .of(role: role, path: path))
        }
        let config = experiment.config
        try add("data", Experiment.dataFile(experiment.dataPath, split: config.data.split))
        if experiment.needsCalibration {
            try add("calibration_data", Experiment.dataFile(experiment.calibrationPath, split: config.calibration.split))
        }
        for entry in experiment.qat {
            try add("training_data", Experiment.dataFile(entry.dataPath, split: entry.spec.split))
        }
        return out
    }

    /// Largest |a − b| over all logits; two equal non-finite values (both NaN, or the same infinity) differ by 0,
    /// a non-finite value against any other by +∞.
    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Double {
        var m = 0.0
        for (ra, rb) in zip(a, b) {
            for (x, y) in zip(ra, rb) {
                if x.isFinite, y.isFinite { m = max(m, Double(abs(x - y))); continue }
                if x == y || (x.isNaN && y.isNaN) { continue }
                m = .infinity
            }
        }
        return m
    }
}
