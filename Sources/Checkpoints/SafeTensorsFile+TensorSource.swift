extension SafeTensorsFile: TensorSource {
    /// The shape of tensor `name` as written in the header.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func shape(of name: String) throws -> [Int] { try info(name).shape }

    /// The dtype of tensor `name` as written in the header.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func dtype(of name: String) throws -> DType { try info(name).dtype }
}
