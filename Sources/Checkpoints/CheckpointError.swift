import Foundation

/// Everything that can go wrong while reading or writing a checkpoint.
///
/// Every case names the file it concerns and, where there is one, the tensor or key, so a
/// message read in a log says where to look without a debugger. Bad files never trap: each
/// check that can fail on user input throws one of these.
public enum CheckpointError: Error, CustomStringConvertible, Equatable {
    /// The file could not be opened or read at all (missing, unreadable, a directory…).
    case unreadable(file: String, reason: String)
    /// The file is shorter than the smallest valid file of its format.
    case fileTooSmall(file: String, size: Int, minimum: Int)
    /// The safetensors header length prefix is larger than this reader accepts (100 MB, like the
    /// reference implementation).
    case headerTooLarge(file: String, length: UInt64, limit: Int)
    /// The header length prefix points past the end of the file.
    case headerPastEndOfFile(file: String, headerLength: UInt64, fileSize: Int)
    /// The header is not a UTF-8 JSON object of the expected form.
    case invalidHeader(file: String, reason: String)
    /// A key appears twice in one header object (`key` is its path, e.g. `__metadata__.quantbench.format`);
    /// readers disagree on which copy wins, so neither is used.
    case duplicateKey(file: String, key: String)
    /// One header entry is malformed (missing `dtype`, negative shape, …).
    case invalidTensorEntry(file: String, tensor: String, reason: String)
    /// A dtype string that this reader does not know.
    case unknownDType(file: String, tensor: String, dtype: String)
    /// `data_offsets` with `begin > end`, or past the end of the data section.
    case invalidOffsets(file: String, tensor: String, begin: UInt64, end: UInt64, dataSize: Int)
    /// `end − begin` is not `dtype size × product(shape)`.
    case byteCountMismatch(file: String, tensor: String, dtype: String, shape: [Int], expected: Int, actual: Int)
    /// Two tensors claim some of the same bytes.
    case overlappingTensors(file: String, first: String, second: String)
    /// Part of the data section belongs to no tensor (a hole, or trailing bytes).
    case unindexedBytes(file: String, begin: Int, end: Int)
    /// `__metadata__` is present but not a string-to-string object.
    case invalidMetadata(file: String, key: String, reason: String)
    /// No tensor by this name.
    case tensorNotFound(file: String, tensor: String)
    /// The ZIP container of a PyTorch checkpoint is damaged or not a ZIP file.
    case corruptArchive(file: String, reason: String)
    /// A required member of a PyTorch ZIP archive is absent.
    case missingArchiveEntry(file: String, entry: String)
    /// The pickle uses an opcode this unpickler does not implement.
    case unsupportedPickleOpcode(file: String, opcode: UInt8, offset: Int)
    /// The pickle stream is inconsistent (stack underflow, truncated argument, bad memo index…).
    case malformedPickle(file: String, offset: Int, reason: String)
    /// The pickle calls a Python callable other than those `torch.save(state_dict)` uses.
    case unsupportedPickleGlobal(file: String, global: String, offset: Int)
    /// The pickled object is not a state dict, or one of its values is not a plain tensor.
    case unsupportedStateDict(file: String, key: String, reason: String)
    /// A tensor's size, stride and offset reach outside its storage, or the storage is unusable.
    case invalidStorage(file: String, tensor: String, reason: String)
    /// A checkpoint folder contains none of the files a loader looks for.
    case noCheckpointFound(folder: String, lookedFor: [String])
    /// A tensor handed to `SafeTensorsWriter` is inconsistent or its name is unusable.
    case invalidTensorForWriting(tensor: String, reason: String)
    /// Writing a file failed; the destination was left untouched.
    case writeFailed(file: String, reason: String)

    /// A one-line, human-readable explanation naming the file and the tensor or key.
    public var description: String {
        switch self {
        case let .unreadable(file, reason):
            return "\(file): cannot read file: \(reason)"
        case let .fileTooSmall(file, size, minimum):
            return "\(file): file is \(size) bytes, shorter than the minimum of \(minimum) bytes"
        case let .headerTooLarge(file, length, limit):
            return "\(file): header length \(length) exceeds the limit of \(limit) bytes"
        case let .headerPastEndOfFile(file, headerLength, fileSize):
            return "\(file): header length \(headerLength) runs past the end of the \(fileSize)-byte file "
                + "(truncated or not a safetensors file)"
        case let .invalidHeader(file, reason):
            return "\(file): invalid header: \(reason)"
        case let .duplicateKey(file, key):
            return "\(file): header key '\(key)' appears more than once"
        case let .invalidTensorEntry(file, tensor, reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case let .unknownDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)': unknown dtype '\(dtype)'"
        case let .invalidOffsets(file, tensor, begin, end, dataSize):
            return "\(file): tensor '\(tensor)': data_offsets [\(begin), \(end)] are invalid for a "
                + "\(dataSize)-byte data section (begin > end, or the file is truncated)"
        case let .byteCountMismatch(file, tensor, dtype, shape, expected, actual):
            return "\(file): tensor '\(tensor)': \(dtype) \(shape) needs \(expected) bytes, "
                + "data_offsets span \(actual)"
        case let .overlappingTensors(file, first, second):
            return "\(file): tensors '\(first)' and '\(second)' overlap in the data section"
        case let .unindexedBytes(file, begin, end):
            return "\(file): data bytes [\(begin), \(end)) belong to no tensor (hole or trailing data)"
        case let .invalidMetadata(file, key, reason):
            return "\(file): __metadata__ key '\(key)': \(reason)"
        case let .tensorNotFound(file, tensor):
            return "\(file): no tensor named '\(tensor)'"
        case let .corruptArchive(file, reason):
            return "\(file): corrupt or unreadable ZIP archive: \(reason)"
        case let .missingArchiveEntry(file, entry):
            return "\(file): archive has no entry '\(entry)'"
        case let .unsupportedPickleOpcode(file, opcode, offset):
            let printable = (0x21...0x7E).contains(opcode) ? " '\(Character(Unicode.Scalar(opcode)))'" : ""
            return "\(file): data.pkl: unsupported pickle opcode 0x"
                + String(opcode, radix: 16, uppercase: true) + "\(printable) at offset \(offset)"
        case let .malformedPickle(file, offset, reason):
            return "\(file): data.pkl: malformed pickle at offset \(offset): \(reason)"
        case let .unsupportedPickleGlobal(file, global, offset):
            return "\(file): data.pkl: unsupported callable '\(global)' at offset \(offset)"
        case let .unsupportedStateDict(file, key, reason):
            return "\(file): state dict entry '\(key)': \(reason)"
        case let .invalidStorage(file, tensor, reason):
            return "\(file): tensor '\(tensor)': \(reason)"
        case let .noCheckpointFound(folder, lookedFor):
            return "\(folder): no checkpoint found; looked for " + lookedFor.joined(separator: ", ")
        case let .invalidTensorForWriting(tensor, reason):
            return "tensor '\(tensor)': cannot write: \(reason)"
        case let .writeFailed(file, reason):
            return "\(file): write failed, destination left unchanged: \(reason)"
        }
    }
}
