import Foundation
import TensorCore
import ZIPFoundation

/// A legacy `pytorch_model.bin`: the ZIP format `torch.save` writes since PyTorch 1.6.
///
/// The archive holds `<prefix>/data.pkl`, a pickle of the state dict in which each tensor
/// refers by persistent id to a storage member `<prefix>/data/<key>`, plus `byteorder` and
/// `version` (see `torch/serialization.py`). Opening reads and validates the pickle with a
/// non-executing unpickler and checks every tensor against its storage member, so a file
/// that opens can be read tensor by tensor; storages are extracted (CRC-checked) on demand.
/// Non-contiguous tensors are gathered through their strides.
///
/// The pre-1.6 non-ZIP format and sharded checkpoints are not supported.
public struct PyTorchCheckpoint: Sendable {
    /// The file that was opened.
    public let url: URL
    /// Every tensor name (state dict key), sorted.
    public let names: [String]
    /// The archive's top-level folder, e.g. `"pytorch_model"` or `"archive"`.
    public let archivePrefix: String

    private struct Record: Sendable {
        var dtype: DType
        var shape: [Int]
        var stride: [Int]
        var storageOffset: Int
        var storageEntry: String
    }
    private let records: [String: Record]
    private let bigEndian: Bool

    /// Opens and validates the archive at `url`.
    /// - Throws: `CheckpointError` naming the file (and tensor or key where one is at fault)
    ///   for a missing file, a non-ZIP or damaged archive, a missing `data.pkl`, an
    ///   unsupported or malformed pickle, or a tensor that does not fit its storage.
    public init(url: URL) throws {
        self.url = url
        let file = url.path
        try Self.checkSignature(url)
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw CheckpointError.corruptArchive(file: file, reason: "\(error)")
        }
        var entries: [String: Entry] = [:]
        for entry in archive where entries[entry.path] == nil { entries[entry.path] = entry }

        let pickles = entries.keys.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }.sorted()
        guard let picklePath = pickles.first else {
            throw CheckpointError.missingArchiveEntry(file: file, entry: "<prefix>/data.pkl")
        }
        guard pickles.count == 1 else {
            throw CheckpointError.corruptArchive(file: file, reason: "several data.pkl members: \(pickles)")
        }
        let prefix = String(picklePath.dropLast("data.pkl".count))  // "" or "name/"
        archivePrefix = prefix.hasSuffix("/") ? String(prefix.dropLast()) : prefix

        if let order = entries[prefix + "byteorder"] {
            let text = String(decoding: try Self.extract(order, from: archive, file: file), as: UTF8.self)
            switch text.trimmingCharacters(in: .whitespacesAndNewlines) {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw CheckpointError.corruptArchive(file: file, reason: "byteorder member says '\(text)'")
            }
        } else {
            bigEndian = false  // written only since PyTorch 1.10; older files are little-endian
        }

        let pickle = try Self.extract(entries[picklePath]!, from: archive, file: file)
        var unpickler = Unpickler(bytes: [UInt8](pickle), file: file,
                                  callGlobal: TorchPickleHooks.callGlobal,
                                  persistentLoad: TorchPickleHooks.persistentLoad)
        let root = try unpickler.load()
        guard case let .dict(stateDict) = root else {
            throw CheckpointError.unsupportedStateDict(file: file, key: "<root>",
                                                       reason: "pickled object is a \(root.kind), not a dict")
        }

        var records: [String: Record] = [:]
        for (key, value) in stateDict.entries {
            guard case let .string(name) = key else {
                throw CheckpointError.unsupportedStateDict(file: file, key: "\(key)",
                                                           reason: "key is a \(key.kind), not a string")
            }
            guard case let .tensor(tensor) = value else {
                throw CheckpointError.unsupportedStateDict(
                    file: file, key: name,
                    reason: "value is a \(value.kind), not a tensor (only flat state dicts are supported)")
            }
            let entryPath = prefix + "data/" + tensor.storage.key
            guard let entry = entries[entryPath] else {
                throw CheckpointError.invalidStorage(file: file, tensor: name,
                                                     reason: "storage member '\(entryPath)' is missing")
            }
            records[name] = try Self.record(for: tensor, entry: entry, entryPath: entryPath, name: name, file: file)
        }
        self.records = records
        self.names = records.keys.sorted()
    }

    /// Rejects files that are not ZIP archives (naming the legacy format when recognised) and
    /// ZIP files without an end-of-central-directory record.
    private static func checkSignature(_ url: URL) throws {
        let file = url.path
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: url)
        } catch {
            throw CheckpointError.unreadable(file: file, reason: error.localizedDescription)
        }
        defer { try? handle.close() }
        let head: Data
        do {
            head = try handle.read(upToCount: 4) ?? Data()
        } catch {
            throw CheckpointError.unreadable(file: file, reason: error.localizedDescription)
        }
        guard head.count == 4 else {
            throw CheckpointError.fileTooSmall(file: file, size: head.count, minimum: 22)
        }
        guard head.elementsEqual([0x50, 0x4B, 0x03, 0x04]) else {
            let reason = head.first == 0x80
                ? "this is the legacy (pre-1.6) torch.save format, which is not supported; "
                    + "re-save it with a current PyTorch or convert it to safetensors"
                : "not a ZIP archive (no local file header signature)"
            throw CheckpointError.corruptArchive(file: file, reason: reason)
        }
        // The end-of-central-directory record sits in the last 22 + 65535 bytes. Looking for it
        // here fails fast on truncated files, which ZIPFoundation would scan byte by byte.
        do {
            let size = try handle.seekToEnd()
            let tailLength = min(size, 22 + 65535)
            try handle.seek(toOffset: size - tailLength)
            let tail = [UInt8](try handle.read(upToCount: Int(tailLength)) ?? Data())
            let found = tail.count >= 22 && (0...(tail.count - 22)).contains {
                tail[$0] == 0x50 && tail[$0 + 1] == 0x4B && tail[$0 + 2] == 0x05 && tail[$0 + 3] == 0x06
            }
            guard found else {
                throw CheckpointError.corruptArchive(
                    file: file, reason: "no end-of-central-directory record (the file is truncated or damaged)")
            }
        } catch let error as CheckpointError {
            throw error
        } catch {
            throw CheckpointError.unreadable(file: file, reason: error.localizedDescription)
        }
    }

    /// Validates a tensor against its storage member.
    private static func record(for tensor: TorchTensorRef, entry: Entry, entryPath: String,
                               name: String, file: String) throws -> Record {
        func bad(_ reason: String) -> CheckpointError {
            CheckpointError.invalidStorage(file: file, tensor: name, reason: reason)
        }
        guard let dtype = tensor.storage.dtype else {
            throw bad("storage '\(entryPath)' is untyped, so the element type is unknown")
        }
        guard tensor.size.count == tensor.stride.count else {
            throw bad("size \(tensor.size) and stride \(tensor.stride) differ in rank")
        }
        guard tensor.size.allSatisfy({ $0 >= 0 }), tensor.stride.allSatisfy({ $0 >= 0 }), tensor.storageOffset >= 0 else {
            throw bad("negative size, stride or offset (size \(tensor.size), stride \(tensor.stride), "
                      + "offset \(tensor.storageOffset))")
        }
        guard entry.uncompressedSize <= UInt64(Int.max) else { throw bad("storage member is too large") }
        let available = Int(entry.uncompressedSize) / dtype.byteSize
        guard tensor.storage.elementCount <= available else {
            throw bad("storage '\(entryPath)' should hold \(tensor.storage.elementCount) \(dtype.rawValue) "
                      + "elements but has \(entry.uncompressedSize) bytes")
        }
        var count = 1
        var last = tensor.storageOffset
        for (extent, step) in zip(tensor.size, tensor.stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: extent)
            let (reach, o2) = max(extent - 1, 0).multipliedReportingOverflow(by: step)
            let (l, o3) = last.addingReportingOverflow(reach)
            guard !o1, !o2, !o3 else { throw bad("size \(tensor.size) with stride \(tensor.stride) overflows") }
            (count, last) = (c, l)
        }
        if count > 0, last >= tensor.storage.elementCount {
            throw bad("size \(tensor.size), stride \(tensor.stride) and offset \(tensor.storageOffset) reach "
                      + "element \(last) of a \(tensor.storage.elementCount)-element storage")
        }
        return Record(dtype: dtype, shape: tensor.size, stride: tensor.stride,
                      storageOffset: tensor.storageOffset, storageEntry: entryPath)
    }

    /// Extracts one member, checking its CRC-32.
    private static func extract(_ entry: Entry, from archive: Archive, file: String) throws -> Data {
        guard entry.type == .file else {
            throw CheckpointError.corruptArchive(file: file, reason: "member '\(entry.path)' is not a file")
        }
        let expected = entry.uncompressedSize
        var data = Data()
        data.reserveCapacity(Int(min(expected, UInt64(1 << 30))))
        let checksum: CRC32
        do {
            checksum = try archive.extract(entry, skipCRC32: false) { chunk in
                guard UInt64(data.count + chunk.count) <= expected else {
                    throw Archive.ArchiveError.invalidEntrySize
                }
                data.append(chunk)
            }
        } catch {
            throw CheckpointError.corruptArchive(file: file, reason: "member '\(entry.path)': \(error)")
        }
        // `extract(_:consumer:)` computes the CRC-32 but leaves the comparison to the caller.
        guard checksum == entry.checksum else {
            throw CheckpointError.corruptArchive(
                file: file, reason: "member '\(entry.path)' fails its CRC-32 check (stored 0x"
                    + String(entry.checksum, radix: 16) + ", computed 0x" + String(checksum, radix: 16) + ")")
        }
        guard UInt64(data.count) == expected else {
            throw CheckpointError.corruptArchive(
                file: file, reason: "member '\(entry.path)' has \(data.count) of \(expected) bytes (truncated)")
        }
        return data
    }

    private func record(_ name: String) throws -> Record {
        guard let record = records[name] else {
            throw CheckpointError.tensorNotFound(file: url.path, tensor: name)
        }
        return record
    }

    /// Whether the state dict has a tensor called `name`.
    public func contains(_ name: String) -> Bool { records[name] != nil }

    /// The element type of tensor `name`'s storage.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func dtype(of name: String) throws -> DType { try record(name).dtype }

    /// The shape (PyTorch `size`) of tensor `name`.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name.
    public func shape(of name: String) throws -> [Int] { try record(name).shape }

    /// Tensor `name` converted to `Float` in row-major order, whatever its strides.
    ///
    /// Conversion is exact for F32/F16/BF16; wider types round to nearest.
    /// - Throws: `CheckpointError.tensorNotFound` for an unknown name, `.corruptArchive` if
    ///   the storage member cannot be read or fails its CRC check.
    public func floatTensor(_ name: String) throws -> Tensor {
        let record = try record(name)
        let file = url.path
        let archive: Archive
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw CheckpointError.corruptArchive(file: file, reason: "\(error)")
        }
        guard let entry = archive[record.storageEntry] else {
            throw CheckpointError.missingArchiveEntry(file: file, entry: record.storageEntry)
        }
        let storage = try Self.extract(entry, from: archive, file: file)
        let count = record.shape.reduce(1, *)
        if count == 0 { return Tensor(shape: record.shape, data: []) }

        // Row-major strides of the shape; dimensions of extent 1 may carry any stride.
        var contiguous = true
        var expected = 1
        for (extent, step) in zip(record.shape, record.stride).reversed() {
            if extent != 1 && step != expected { contiguous = false }
            expected *= extent
        }
        let span = zip(record.shape, record.stride).reduce(1) { $0 + ($1.0 - 1) * $1.1 }
        guard (record.storageOffset + span) * record.dtype.byteSize <= storage.count else {
            // Checked when opening; only reachable if the file changed since.
            throw CheckpointError.invalidStorage(file: file, tensor: name,
                                                 reason: "storage '\(record.storageEntry)' is shorter than when opened")
        }
        let values = storage.withUnsafeBytes { raw -> [Float] in
            if contiguous {
                return ElementDecoder.floats(raw, dtype: record.dtype, first: record.storageOffset, count: count,
                                             bigEndian: bigEndian)
            }
            let source = ElementDecoder.floats(raw, dtype: record.dtype, first: record.storageOffset,
                                               count: span, bigEndian: bigEndian)
            return Self.gather(source, shape: record.shape, stride: record.stride, count: count)
        }
        return Tensor(shape: record.shape, data: values)
    }

    /// Reads a strided view in row-major order: `out[i] = source[Σ index_d · stride_d]`.
    private static func gather(_ source: [Float], shape: [Int], stride: [Int], count: Int) -> [Float] {
        var out = [Float](repeating: 0, count: count)
        var index = [Int](repeating: 0, count: shape.count)
        var position = 0
        for i in 0..<count {
            out[i] = source[position]
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                position += stride[d]
                if index[d] < shape[d] { break }
                position -= stride[d] * shape[d]
                index[d] = 0
                d -= 1
            }
        }
        return out
    }
}
