/// What a checkpoint header says about one tensor, without reading its data.
public struct TensorInfo: Sendable, Equatable {
    /// The element type as stored in the file.
    public var dtype: DType
    /// Extent of each dimension, outermost first; `[]` for a scalar.
    public var shape: [Int]
    /// The tensor's bytes within the data section, i.e. the header's `data_offsets` (relative
    /// to the first byte after the header, not to the start of the file).
    public var byteRange: Range<Int>

    /// Creates a description of one stored tensor.
    public init(dtype: DType, shape: [Int], byteRange: Range<Int>) {
        self.dtype = dtype
        self.shape = shape
        self.byteRange = byteRange
    }

    /// Number of elements, `shape.reduce(1, *)` (1 for a scalar, 0 for an empty tensor).
    public var elementCount: Int { shape.reduce(1, *) }
}
