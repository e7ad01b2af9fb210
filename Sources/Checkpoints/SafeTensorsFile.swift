import Foundation
import TensorCore

/// A validated, memory-mapped safetensors file.
///
/// Opening maps the file and checks the whole header against the format
/// (<https://github.com/huggingface/safetensors#format>, validation as in the reference
/// `Metadata::validate`): length prefix, JSON object, every entry's dtype, shape and offsets,
/// and that the tensors tile the data section. A file that opens successfully can be read
/// without further format errors; tensor bytes are only touched when asked for.
///
/// ```swift
/// let file = try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors"))
/// let w = try file.floatTensor("bert.pooler.dense.weight")   // [64, 64]
/// ```
public struct SafeTensorsFile: Sendable {
    /// The file that was opened.
    public let url: URL
    /// The `__metadata__` object of the header (`[:]` when absent), e.g. `["format": "pt"]`.
    public let metadata: [String: String]
    /// Every tensor name, sorted.
    public let names: [String]

    private let bytes: Data
    private let dataStart: Int
    private let tensors: [String: TensorInfo]

    /// Maps and validates the file at `url`.
    ///
    /// - Throws: `CheckpointError` naming the file (and the tensor, for entry-level problems)
    ///   when the file cannot be read or violates the format.
    public init(url: URL) throws {
        self.url = url
        let file = url.path
        let bytes: Data
        do {
            bytes = try Data(contentsOf: url, options: [.alwaysMapped])
        } catch {
            throw CheckpointError.unreadable(file: file, reason: error.localizedDescription)
        }
        let header = try SafeTensorsHeader.parse(bytes, file: file)
        self.bytes = bytes
        self.dataStart = header.dataStart
        self.tensors = header.tensors
        self.metadata = header.metadata
        self.names = header.tensors.keys.sorted()
    }

    /// Whether the file holds a tensor called `name`.
    public func contains(_ name: String) -> Bool { tensors[name] != nil }

    /// Dtype, shape and byte range of tensor `name`.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func info(_ name: String) throws -> TensorInfo {
        guard let info = tensors[name] else {
            throw CheckpointError.tensorNotFound(file: url.path, tensor: name)
        }
        return info
    }

    /// Tensor `name` converted to `Float`, shape as stored.
    ///
    /// F32, F16, BF16 and the F8 types convert exactly; F64 and 32/64-bit integers round to
    /// the nearest `Float`; BOOL gives 0 or 1.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func floatTensor(_ name: String) throws -> Tensor {
        let info = try info(name)
        let values = bytes.withUnsafeBytes { all -> [Float] in
            let slice = UnsafeRawBufferPointer(rebasing: all[(dataStart + info.byteRange.lowerBound)..<(dataStart + info.byteRange.upperBound)])
            return ElementDecoder.floats(slice, dtype: info.dtype, count: info.elementCount)
        }
        return Tensor(shape: info.shape, data: values)
    }

    /// The stored little-endian bytes of tensor `name`, unconverted (e.g. the int8 values of a
    /// quantized weight); `info(name).byteRange.count` bytes.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func rawBytes(_ name: String) throws -> Data {
        let info = try info(name)
        let start = bytes.startIndex + dataStart
        return bytes.subdata(in: (start + info.byteRange.lowerBound)..<(start + info.byteRange.upperBound))
    }
}
