/// Where in the model a tapped tensor comes from.
public enum TapPoint: String, Sendable, Codable {
    /// The `[rows, in]` input of a linear layer (what a quantizer's activation observer sees).
    case linearInput
    /// The `[rows, out]` output of a linear layer.
    case linearOutput
    /// An encoder hidden state `[rows, hidden]`: `embeddings`, then `encoder.layer.N` outputs.
    case hiddenState
    /// A block's residual sum `[rows, hidden]`, the tensor entering an "Add & Norm" LayerNorm
    /// (`sublayer output + residual`), observed under that LayerNorm's HF name
    /// (`encoder.layer.3.attention.output.LayerNorm`, `encoder.layer.3.output.LayerNorm`).
    case residualSum
}

/// Observer of intermediate tensors, attached to a forward pass without changing the model
/// (PyTorch Numeric Suite loggers; STYLE.md §5). Statistics recorders and calibration implement it.
///
/// All calls for one batch arrive between `beginBatch` and `endBatch`, on the caller's thread.
public protocol ActivationTap: AnyObject {
    /// Starts a batch; `rowMask` has `batch × seq` entries, 1 for real tokens and 0 for padding,
    /// in the same row order as every tensor passed to `observe`.
    func beginBatch(rowMask: [Float], batch: Int, seq: Int)
    /// A tensor `[rows, width]` at `point` of layer `name` (HF names, e.g. `encoder.layer.3.attention.self.query`).
    func observe(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int)
    /// Ends the batch; `logits` is `[batch, numLabels]`.
    func endBatch(logits: Tensor)
}
