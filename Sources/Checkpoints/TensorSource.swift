import TensorCore

/// Anything that holds named tensors readable as `Float`: a safetensors file or a PyTorch
/// `pytorch_model.bin`. Model loaders depend on this protocol, not on a format.
public protocol TensorSource {
    /// Every tensor name, sorted.
    var names: [String] { get }
    /// The shape of tensor `name`, outermost dimension first.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    func shape(of name: String) throws -> [Int]
    /// The element type tensor `name` is stored with.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    func dtype(of name: String) throws -> DType
    /// Tensor `name` converted to `Float`, row-major, with shape `shape(of: name)`.
    /// - Throws: `CheckpointError` for an unknown name or unreadable data.
    func floatTensor(_ name: String) throws -> Tensor
}

extension TensorSource {
    /// Whether a tensor called `name` exists.
    public func contains(_ name: String) -> Bool { names.contains(name) }
}
