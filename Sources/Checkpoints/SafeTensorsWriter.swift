import Foundation
import TensorCore
import _Support

/// Builds a safetensors file from named tensors and writes it atomically.
///
/// The output follows the reference serializer (`safetensors::serialize`): the JSON header
/// has `__metadata__` first and then tensors sorted by name, and is padded with spaces to a
/// multiple of 8 bytes; tensor data is laid out by decreasing element size, then by name, so
/// every tensor starts at an offset aligned to its element size.
///
/// ```swift
/// var writer = SafeTensorsWriter(metadata: ["format": "pt"])
/// try writer.add("classifier.weight", weight)                                  // F32
/// try writer.add("classifier.weight_q", dtype: .i8, shape: [2, 64], bytes: q)  // raw int8
/// try writer.write(to: url)
/// ```
public struct SafeTensorsWriter: Sendable {
    /// String-to-string metadata written as the header's `__metadata__` (omitted when empty).
    public var metadata: [String: String]

    private struct Entry: Sendable {
        var dtype: DType
        var shape: [Int]
        var bytes: Data
    }
    private var entries: [String: Entry] = [:]

    /// Creates an empty writer with the given metadata.
    public init(metadata: [String: String] = [:]) {
        self.metadata = metadata
    }

    /// Names added so far, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// Adds an FP32 tensor, stored as `F32` with the tensor's shape.
    /// - Throws: `CheckpointError.invalidTensorForWriting` if `name` is empty, reserved or taken.
    public mutating func add(_ name: String, _ tensor: Tensor) throws {
        var data = Data(count: tensor.data.count * 4)
        data.withUnsafeMutableBytes { out in
            for (i, value) in tensor.data.enumerated() {
                out.storeBytes(of: value.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self)
            }
        }
        try add(name, dtype: .f32, shape: tensor.shape, bytes: data)
    }

    /// Adds a tensor given as raw little-endian bytes of `dtype` (e.g. `I8` quantized values,
    /// `I32` accumulators or `F16` weights).
    /// - Throws: `CheckpointError.invalidTensorForWriting` if `bytes.count` is not
    ///   `dtype.byteSize × product(shape)`, a dimension is negative, or `name` is empty,
    ///   reserved (`__metadata__`) or already added.
    public mutating func add(_ name: String, dtype: DType, shape: [Int], bytes: Data) throws {
        guard !name.isEmpty else {
            throw CheckpointError.invalidTensorForWriting(tensor: name, reason: "empty name")
        }
        guard name != "__metadata__" else {
            throw CheckpointError.invalidTensorForWriting(tensor: name, reason: "name is reserved for metadata")
        }
        guard entries[name] == nil else {
            throw CheckpointError.invalidTensorForWriting(tensor: name, reason: "a tensor with this name was already added")
        }
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw CheckpointError.invalidTensorForWriting(tensor: name, reason: "shape \(shape) has a negative extent")
        }
        var expected = dtype.byteSize
        for extent in shape {
            let (product, overflow) = expected.multipliedReportingOverflow(by: extent)
            guard !overflow else {
                throw CheckpointError.invalidTensorForWriting(tensor: name, reason: "shape \(shape) overflows Int")
            }
            expected = product
        }
        guard bytes.count == expected else {
            throw CheckpointError.invalidTensorForWriting(
                tensor: name, reason: "\(dtype.rawValue) \(shape) needs \(expected) bytes, got \(bytes.count)")
        }
        entries[name] = Entry(dtype: dtype, shape: shape, bytes: bytes)
    }

    /// Order of tensors in the data section: larger elements first, then by name.
    private var layoutOrder: [String] {
        entries.keys.sorted {
            let (a, b) = (entries[$0]!.dtype.byteSize, entries[$1]!.dtype.byteSize)
            return a != b ? a > b : $0 < $1
        }
    }

    /// The header JSON, padded with spaces to a multiple of 8 bytes.
    private func headerBytes() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        func quoted(_ s: String) throws -> String {
            String(decoding: try encoder.encode(s), as: UTF8.self)
        }
        var offsets: [String: Range<Int>] = [:]
        var cursor = 0
        for name in layoutOrder {
            let count = entries[name]!.bytes.count
            offsets[name] = cursor..<(cursor + count)
            cursor += count
        }
        var parts: [String] = []
        if !metadata.isEmpty {
            let pairs = try metadata.keys.sorted().map { "\(try quoted($0)):\(try quoted(metadata[$0]!))" }
            parts.append("\"__metadata__\":{" + pairs.joined(separator: ",") + "}")
        }
        for name in entries.keys.sorted() {
            let entry = entries[name]!
            let range = offsets[name]!
            let shape = entry.shape.map(String.init).joined(separator: ",")
            parts.append("\(try quoted(name)):{\"dtype\":\"\(entry.dtype.rawValue)\",\"shape\":[\(shape)],"
                         + "\"data_offsets\":[\(range.lowerBound),\(range.upperBound)]}")
        }
        var json = Data(("{" + parts.joined(separator: ",") + "}").utf8)
        json.append(contentsOf: [UInt8](repeating: UInt8(ascii: " "), count: (8 - json.count % 8) % 8))
        return json
    }

    /// The complete file contents.
    public func serialized() throws -> Data {
        let header = try headerBytes()
        var out = Data()
        out.reserveCapacity(8 + header.count + entries.values.reduce(0) { $0 + $1.bytes.count })
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(header)
        for name in layoutOrder { out.append(entries[name]!.bytes) }
        return out
    }

    /// Writes the file to `url` atomically: the bytes go to a temporary file in the same
    /// directory, which is flushed to disk and then renamed over `url`. If anything fails, the
    /// temporary file is removed and `url` is left as it was (absent, or the previous file).
    /// - Throws: `CheckpointError.writeFailed` naming `url`.
    public func write(to url: URL) throws {
        let header = try headerBytes()
        var chunks: [Data] = []
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { chunks.append(Data($0)) }
        chunks.append(header)
        for name in layoutOrder { chunks.append(entries[name]!.bytes) }
        do { try AtomicFile.write(chunks, to: url) } catch let SupportError.writeFailed(_, reason) {
            throw CheckpointError.writeFailed(file: url.standardizedFileURL.path, reason: reason)
        }
    }
}
