import TensorCore

/// The quantized half of a side-by-side run: compares each linear output and hidden state of the model it is
/// attached to with what `reference` (a `RecordingTap` on the FP32 model, same batch) recorded, and accumulates
/// the input ranges each layer sees, over the real rows of every batch (padding excluded by the attention mask;
/// pooler and classifier rows are all real).
///
/// The per-call grid a layer quantizes its input onto (for the fraction clipped) comes from `clipGrid`, which
/// the experiment layer builds from the scheme; return nil for layers that keep FP32 inputs.
public final class ComparingTap: ActivationTap {
    /// `(layer, input values, rows, width) → grid` (one entry, or one per row); nil = no grid.
    public typealias ClipGridProvider = (String, UnsafeBufferPointer<Float>, Int, Int) -> [ClipParams]?

    /// The FP32 recording of the current batch; set before each forward pass.
    public var reference: RecordingTap?
    /// Output error by linear layer name.
    public private(set) var outputs: [String: OutputComparison] = [:]
    /// Input range statistics by linear layer name.
    public private(set) var inputs: [String: RangeAccumulator] = [:]
    /// Hidden-state error by name (`embeddings`, `encoder.layer.N`).
    public private(set) var hiddenStates: [String: OutputComparison] = [:]
    /// Logit error over all examples.
    public private(set) var logitError = ErrorAccumulator()
    /// Predictions of this model and of the reference, in order.
    public private(set) var predictions: [Int] = []
    public private(set) var referencePredictions: [Int] = []
    /// Linear layer and hidden-state names in the order they ran.
    public private(set) var layerOrder: [String] = []
    public private(set) var hiddenOrder: [String] = []
    private var mask = RowMask(mask: [], batch: 0, seq: 0)
    /// Calls of each linear layer so far in this batch: the n-th call is compared with the reference's n-th (a
    /// shared ALBERT layer runs once per depth).
    private var callCount: [String: Int] = [:]
    private let clipGrid: ClipGridProvider?
    private let bins: Int

    public init(clipGrid: ClipGridProvider? = nil, bins: Int = Histogram.defaultBins) {
        self.clipGrid = clipGrid
        self.bins = bins
    }

    /// Examples whose prediction differs from the reference's.
    public var flips: Int { zip(predictions, referencePredictions).reduce(0) { $0 + ($1.0 != $1.1 ? 1 : 0) } }

    public func beginBatch(rowMask: [Float], batch: Int, seq: Int) {
        mask = RowMask(mask: rowMask, batch: batch, seq: seq)
        callCount.removeAll(keepingCapacity: true)
        if let r = reference {
            precondition(r.rowMask.batch == batch && r.rowMask.seq == seq && r.rowMask.mask == rowMask,
                         "ComparingTap: the reference recorded a different batch")
        }
    }

    public func observe(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
        let keep = mask.keep(rows: rows)
        switch point {
        case .linearInput:
            let grid = clipGrid?(name, values, rows, width)
            inputs[name, default: RangeAccumulator(bins: bins)].add(values, rows: rows, width: width, keep: keep, clip: grid)
        case .linearOutput:
            if !layerOrder.contains(name) { layerOrder.append(name) }
            let call = callCount[name, default: 0]
            callCount[name] = call + 1
            guard let ref = reference?.output(name, call: call) else {
                preconditionFailure("ComparingTap: no reference output for \(name); run the FP32 model with a RecordingTap first")
            }
            ref.withUnsafeBufferPointer { r in
                outputs[name, default: OutputComparison(bins: bins)].add(reference: r, quantized: values, rows: rows,
                                                                          width: width, keep: keep)
            }
        case .residualSum:
            return   // outliers are a property of the FP32 model (RecordingTap)
        case .hiddenState:
            if !hiddenOrder.contains(name) { hiddenOrder.append(name) }
            guard let ref = reference?.hiddenStates[name] else {
                preconditionFailure("ComparingTap: no reference hidden state \(name)")
            }
            ref.withUnsafeBufferPointer { r in
                hiddenStates[name, default: OutputComparison(bins: bins)].add(reference: r, quantized: values, rows: rows,
                                                                               width: width, keep: keep)
            }
        }
    }

    public func endBatch(logits: Tensor) {
        guard let ref = reference else { preconditionFailure("ComparingTap: no reference") }
        let b = logits.shape[0], c = logits.count / max(1, b)
        precondition(ref.batchLogits.count == logits.count, "ComparingTap: reference logits have another shape")
        ref.batchLogits.withUnsafeBufferPointer { r in
            logits.data.withUnsafeBufferPointer { logitError.add(reference: r, quantized: $0) }
        }
        for i in 0..<b {
            predictions.append(firstArgmax(Array(logits.data[(i * c)..<((i + 1) * c)])))
            referencePredictions.append(firstArgmax(Array(ref.batchLogits[(i * c)..<((i + 1) * c)])))
        }
    }
}
