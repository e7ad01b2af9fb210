import TensorCore

/// The FP32 half of a side-by-side run: records what the reference model computes for the current batch
/// (every linear layer's output, every hidden state, the logits) so a `ComparingTap` on the quantized model can
/// compare against it on the same batch. Also keeps, across batches, the reference predictions and logits and
/// (optionally) the input-range statistics of every linear layer.
///
/// Usage per batch: `model.forward(batch, tap: recorder)`, then `quantized.forward(batch, tap: comparer)` with
/// `comparer.reference = recorder`. Memory: one batch of outputs (`rows × Σ widths` floats).
public final class RecordingTap: ActivationTap {
    /// Linear outputs `[rows, out]` of the current batch by layer name: the last call's. A layer shared across
    /// depths (ALBERT's) runs more than once per batch; `output(_:call:)` has every call.
    public var outputs: [String: [Float]] { calls.mapValues { $0.last! } }
    /// Every call's output of the current batch by layer name, in call order.
    private var calls: [String: [[Float]]] = [:]
    /// Hidden states `[rows, hidden]` of the current batch by name (`embeddings`, `encoder.layer.N`).
    public private(set) var hiddenStates: [String: [Float]] = [:]
    /// The current batch's row mask.
    public private(set) var rowMask = RowMask(mask: [], batch: 0, seq: 0)
    /// The current batch's logits `[batch, labels]`, row-major.
    public private(set) var batchLogits: [Float] = []
    /// Labels per example.
    public private(set) var labelCount = 0
    /// argmax of every example's logits so far, in order (first maximum on ties, as `torch.argmax`).
    public private(set) var predictions: [Int] = []
    /// Every example's logits so far.
    public private(set) var logits: [[Float]] = []
    /// Input ranges by layer name (when `recordInputRanges`).
    public private(set) var inputRanges: [String: RangeAccumulator] = [:]
    /// Linear layer names in the order they ran.
    public private(set) var layerOrder: [String] = []
    /// Hidden-state names in order.
    public private(set) var hiddenOrder: [String] = []
    /// Outlier-channel statistics by tensor name: every linear layer's input (by layer name) and every residual
    /// sum (by its LayerNorm's name), over the batches that had `tokenClasses` (when `outlierRows` > 0).
    public private(set) var outliers: [String: ChannelOutliers] = [:]
    /// Tensors of `outliers` in the order they first ran, with their tap point (`linearInput` or `residualSum`).
    public private(set) var outlierOrder: [(name: String, point: TapPoint)] = []
    /// Token classes of the next batch's rows `[batch · seq]` (same row order as the tensors), set before each
    /// forward pass; nil records no outlier statistics for the batch. Rows of the head (`[batch]`, each sequence's
    /// first position) take their position's class; calls with other row counts (DeBERTa's relative embeddings)
    /// are not token rows and are left out.
    public var tokenClasses: [TokenClass]?
    private let recordInputRanges: Bool
    private let bins: Int
    private let outlierRows: Int

    /// - Parameters:
    ///   - recordInputRanges: also accumulate each linear layer's input range statistics.
    ///   - outlierRows: rows kept per channel by the outlier statistics (`ChannelOutliers.keptRows`); 0 = none.
    public init(recordInputRanges: Bool = false, bins: Int = Histogram.defaultBins, outlierRows: Int = 0) {
        self.recordInputRanges = recordInputRanges
        self.bins = bins
        self.outlierRows = outlierRows
    }

    public func beginBatch(rowMask: [Float], batch: Int, seq: Int) {
        if let c = tokenClasses {
            precondition(c.count == batch * seq, "RecordingTap: \(c.count) token classes for \(batch)×\(seq) rows")
        }
        self.rowMask = RowMask(mask: rowMask, batch: batch, seq: seq)
        calls.removeAll(keepingCapacity: true)
        hiddenStates.removeAll(keepingCapacity: true)
    }

    public func observe(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
        switch point {
        case .linearInput:
            recordOutliers(point, name: name, values: values, rows: rows, width: width)
            guard recordInputRanges else { return }
            inputRanges[name, default: RangeAccumulator(bins: bins)].add(values, rows: rows, width: width,
                                                                           keep: rowMask.keep(rows: rows))
        case .residualSum:
            recordOutliers(point, name: name, values: values, rows: rows, width: width)
        case .linearOutput:
            if !layerOrder.contains(name) { layerOrder.append(name) }
            calls[name, default: []].append(Array(values))
        case .hiddenState:
            if !hiddenOrder.contains(name) { hiddenOrder.append(name) }
            hiddenStates[name] = Array(values)
        }
    }

    private func recordOutliers(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
        guard outlierRows > 0, let all = tokenClasses else { return }
        let classes: [TokenClass]
        if rows == rowMask.batch * rowMask.seq {
            classes = all
        } else if rows == rowMask.batch {
            classes = (0..<rows).map { all[$0 * rowMask.seq] }
        } else {
            return
        }
        if outliers[name] == nil {
            outliers[name] = ChannelOutliers(keptRows: outlierRows)
            outlierOrder.append((name, point))
        }
        outliers[name]!.add(values, rows: rows, width: width, classes: classes)
    }

    /// The output `[rows, out]` of call `call` (0-based, in this batch) of layer `name`, or nil.
    public func output(_ name: String, call: Int) -> [Float]? {
        guard let c = calls[name], call < c.count else { return nil }
        return c[call]
    }

    public func endBatch(logits: Tensor) {
        batchLogits = logits.data
        let (b, c) = (logits.shape[0], logits.shape.count > 1 ? logits.shape[1] : 1)
        labelCount = c
        for i in 0..<b {
            let row = Array(logits.data[(i * c)..<((i + 1) * c)])
            self.logits.append(row)
            predictions.append(firstArgmax(row))
        }
    }
}

/// Index of the first largest value (`torch.argmax` tie rule).
func firstArgmax(_ row: [Float]) -> Int {
    var best = 0
    for i in row.indices where row[i] > row[best] { best = i }
    return best
}
