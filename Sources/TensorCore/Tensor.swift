/// A dense, row-major FP32 tensor: a shape and contiguous storage.
///
/// The engine keeps to this one value type; integer and half-precision data live inside the
/// operators that own them (`LinearOp` implementations), not in `Tensor`.
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension, outermost first, e.g. `[batch, seq, hidden]`.
    public var shape: [Int]
    /// `shape.reduce(1, *)` values in row-major order.
    public var data: [Float]

    /// Creates a tensor; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Float]) {
        precondition(shape.reduce(1, *) == data.count,
                     "Tensor: shape \(shape) needs \(shape.reduce(1, *)) values, got \(data.count)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of zeros with the given shape.
    public init(zeros shape: [Int]) {
        self.shape = shape
        self.data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    /// Number of elements.
    public var count: Int { data.count }

    /// Number of dimensions.
    public var rank: Int { shape.count }

    /// Returns the same values viewed with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, data: data)
    }

    /// Row `i` of a rank-2 tensor `[rows, cols]`.
    public func row(_ i: Int) -> ArraySlice<Float> {
        precondition(rank == 2)
        let cols = shape[1]
        return data[(i * cols)..<((i + 1) * cols)]
    }
}
