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
    private let recordInputRanges: Bool
    private let bins: Int

    /// - Parameter recordInputRanges: also accumulate each linear layer's input range statistics.
    public init(recordInputRanges: Bool = false, bins: Int = Histogram.defaultBins) {
        self.recordInputRanges = recordInputRanges
        self.bins = bins
    }

    public func beginBatch(rowMask: [Float], batch: Int, seq: Int) {
        self.rowMask = RowMask(mask: rowMask, batch: batch, seq: seq)
        calls.removeAll(keepingCapacity: true)
        hiddenStates.removeAll(keepingCapacity: true)
    }

    public func observe(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
        switch point {
        case .linearInput:
            guard recordInputRanges else { return }
            inputRanges[name, default: RangeAccumulator(bins: bins)].add(values, rows: rows, width: width,
                                                                           keep: rowMask.keep(rows: rows))
        case .linearOutput:
            if !layerOrder.contains(name) { layerOrder.append(name) }
            calls[name, default: []].append(Array(values))
        case .hiddenState:
            if !hiddenOrder.contains(name) { hiddenOrder.append(name) }
            hiddenStates[name] = Array(values)
        }
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
