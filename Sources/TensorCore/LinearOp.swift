/// The one operation the BERT engine delegates: a fully connected layer `y = op(x)`.
///
/// Shapes: `x` is `[rows, inFeatures]`, `y` is `[rows, outFeatures]`, both row-major FP32.
/// `rows` is every position of the batch, padding included (`batch × seq`), which is what PyTorch's
/// dynamic quantization sees too: its per-call activation range covers padding positions.
///
/// The FP32 implementation is `DenseLinear`; the Quantization module supplies integer, fp16 and
/// fake-quantized implementations. The model never knows which one it calls (STYLE.md §5).
public protocol LinearOp: Sendable {
    /// Input width `K`.
    var inFeatures: Int { get }
    /// Output width `N`.
    var outFeatures: Int { get }
    /// Computes `y[rows, N] = op(x[rows, K])`. `y` is fully overwritten.
    func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>)
    /// Whether the operator reads the range of its whole input (a dynamic per-tensor activation range): then a
    /// caller that produced `x` can measure it in the producing pass and pass it to `forward(_:rows:inputRange:into:)`,
    /// sparing the operator its own pass over `x`. Default false.
    var usesInputRange: Bool { get }
    /// `forward` with `inputRange` = `ValueRange.measure(x, count: rows · K)` already measured by the caller (or nil:
    /// the operator measures what it needs). The result is bit-identical to `forward(_:rows:into:)`. The default
    /// ignores the range.
    func forward(_ x: UnsafePointer<Float>, rows: Int, inputRange: ValueRange?, into y: UnsafeMutablePointer<Float>)
    /// Whether output row `r` is a function of input row `r` alone — with the caller's `inputRange` of the whole
    /// input when `usesInputRange` — so that running any subset of the rows gives those rows the same bits as
    /// running them all (the model uses it to run only the rows its head reads). Default false (an operator whose
    /// per-call ranges or GEMM blocking could depend on the other rows).
    var rowsAreIndependent: Bool { get }
    /// Bytes the operator's parameters take when serialized (weights, bias, scales, zero points).
    var parameterBytes: Int { get }
}

extension LinearOp {
    public var usesInputRange: Bool { false }
    public var rowsAreIndependent: Bool { false }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, inputRange: ValueRange?, into y: UnsafeMutablePointer<Float>) {
        forward(x, rows: rows, into: y)
    }

    /// Convenience: applies the operator to a `[rows, K]` tensor and returns `[rows, N]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        precondition(x.shape.last == inFeatures, "LinearOp: input width \(x.shape.last ?? -1) != \(inFeatures)")
        let rows = x.count / inFeatures
        var out = [Float](repeating: 0, count: rows * outFeatures)
        x.data.withUnsafeBufferPointer { xp in
            out.withUnsafeMutableBufferPointer { yp in
                forward(xp.baseAddress!, rows: rows, into: yp.baseAddress!)
            }
        }
        var shape = x.shape
        shape[shape.count - 1] = outFeatures
        return Tensor(shape: shape, data: out)
    }
}
