import Foundation
import _Support

/// The parsed and validated header of a safetensors file.
///
/// Layout (<https://github.com/huggingface/safetensors#format>): 8 bytes little-endian `u64`
/// header length `N`; `N` bytes of UTF-8 JSON, an object mapping each tensor name to
/// `{"dtype", "shape", "data_offsets": [begin, end]}` plus an optional `"__metadata__"`
/// string-to-string object, padded at the end with spaces; then the data section, which the
/// tensors' byte ranges must tile exactly (no overlap, no hole, nothing after the last tensor).
struct SafeTensorsHeader: Sendable {
    /// Largest accepted `N`, the reference implementation's `MAX_HEADER_SIZE`.
    static let maximumLength = 100_000_000

    /// Every tensor, by name.
    var tensors: [String: TensorInfo]
    /// The `__metadata__` object, empty when absent.
    var metadata: [String: String]
    /// Offset of the first data byte in the file, `8 + N`.
    var dataStart: Int

    /// Parses and checks the header of the complete file `bytes`; `file` names it in errors.
    static func parse(_ bytes: Data, file: String) throws -> SafeTensorsHeader {
        guard bytes.count >= 8 else {
            throw CheckpointError.fileTooSmall(file: file, size: bytes.count, minimum: 8)
        }
        let length = bytes.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) }
        guard length <= UInt64(maximumLength) else {
            throw CheckpointError.headerTooLarge(file: file, length: length, limit: maximumLength)
        }
        let n = Int(length)
        guard 8 + n <= bytes.count else {
            throw CheckpointError.headerPastEndOfFile(file: file, headerLength: length, fileSize: bytes.count)
        }
        let start = bytes.startIndex
        let json = bytes.subdata(in: (start + 8)..<(start + 8 + n))
        guard json.first == UInt8(ascii: "{") else {
            throw CheckpointError.invalidHeader(file: file, reason: n == 0
                ? "header is empty" : "header does not start with '{'")
        }
        guard String(data: json, encoding: .utf8) != nil else {
            throw CheckpointError.invalidHeader(file: file, reason: "header is not valid UTF-8")
        }
        let raw: RawHeader
        do {
            raw = try JSONDecoding.decode(RawHeader.self, from: json)
        } catch let failure as EntryFailure {
            switch failure {
            case let .tensor(name, reason):
                throw CheckpointError.invalidTensorEntry(file: file, tensor: name, reason: reason)
            case let .metadata(key, reason):
                throw CheckpointError.invalidMetadata(file: file, key: key, reason: reason)
            }
        } catch {
            throw CheckpointError.invalidHeader(file: file, reason: "not a JSON object: \(describe(error))")
        }
        if let key = JSONDuplicateKeys.first(in: json) {
            throw CheckpointError.duplicateKey(file: file, key: key)
        }

        let dataSize = bytes.count - 8 - n
        var tensors: [String: TensorInfo] = [:]
        for (name, entry) in raw.tensors {
            guard let dtype = DType(safetensorsName: entry.dtype) else {
                throw CheckpointError.unknownDType(file: file, tensor: name, dtype: entry.dtype)
            }
            if let bad = entry.shape.first(where: { $0 < 0 }) {
                throw CheckpointError.invalidTensorEntry(file: file, tensor: name,
                                                         reason: "shape \(entry.shape) has negative extent \(bad)")
            }
            guard entry.dataOffsets.count == 2 else {
                throw CheckpointError.invalidTensorEntry(
                    file: file, tensor: name,
                    reason: "data_offsets must be [begin, end], got \(entry.dataOffsets.count) numbers")
            }
            let (begin, end) = (entry.dataOffsets[0], entry.dataOffsets[1])
            guard begin <= end, end <= UInt64(dataSize) else {
                throw CheckpointError.invalidOffsets(file: file, tensor: name, begin: begin, end: end,
                                                     dataSize: dataSize)
            }
            var elements = 1
            var overflow = false
            for extent in entry.shape {
                (elements, overflow) = elements.multipliedReportingOverflow(by: extent)
                if overflow { break }
            }
            var byteCount = 0
            if !overflow { (byteCount, overflow) = elements.multipliedReportingOverflow(by: dtype.byteSize) }
            guard !overflow else {
                throw CheckpointError.invalidTensorEntry(file: file, tensor: name,
                                                         reason: "shape \(entry.shape) overflows Int")
            }
            let range = Int(begin)..<Int(end)
            guard byteCount == range.count else {
                throw CheckpointError.byteCountMismatch(file: file, tensor: name, dtype: dtype.rawValue,
                                                        shape: entry.shape, expected: byteCount,
                                                        actual: range.count)
            }
            tensors[name] = TensorInfo(dtype: dtype, shape: entry.shape, byteRange: range)
        }
        try checkTiling(tensors, dataSize: dataSize, file: file)
        return SafeTensorsHeader(tensors: tensors, metadata: raw.metadata, dataStart: 8 + n)
    }

    /// Checks that the byte ranges cover `0..<dataSize` exactly once.
    private static func checkTiling(_ tensors: [String: TensorInfo], dataSize: Int, file: String) throws {
        let ordered = tensors.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound, $0.key)
                < ($1.value.byteRange.lowerBound, $1.value.byteRange.upperBound, $1.key)
        }
        var cursor = 0
        var previous: String?
        for (name, info) in ordered {
            let range = info.byteRange
            if range.lowerBound < cursor, let previous {
                throw CheckpointError.overlappingTensors(file: file, first: previous, second: name)
            }
            if range.lowerBound > cursor {
                throw CheckpointError.unindexedBytes(file: file, begin: cursor, end: range.lowerBound)
            }
            cursor = range.upperBound
            previous = name
        }
        if cursor < dataSize {
            throw CheckpointError.unindexedBytes(file: file, begin: cursor, end: dataSize)
        }
    }

    private static func describe(_ error: Error) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        switch decoding {
        case let .dataCorrupted(context):
            if let underlying = context.underlyingError { return "\(underlying)" }
            return context.debugDescription
        case let .typeMismatch(_, context), let .valueNotFound(_, context), let .keyNotFound(_, context):
            return context.debugDescription
        @unknown default:
            return "\(decoding)"
        }
    }
}

/// A failure inside one header entry, caught during decoding so the error can name the entry.
private enum EntryFailure: Error {
    case tensor(String, String)
    case metadata(String, String)
}

private struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One tensor entry as written in JSON, before validation.
private struct RawEntry: Decodable {
    var dtype: String
    var shape: [Int]
    var dataOffsets: [UInt64]

    enum CodingKeys: String, CodingKey {
        case dtype, shape
        case dataOffsets = "data_offsets"
    }
}

/// The whole header object: tensor entries and the optional `__metadata__`.
private struct RawHeader: Decodable {
    var tensors: [(String, RawEntry)] = []
    var metadata: [String: String] = [:]

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys {
            let name = key.stringValue
            if name == "__metadata__" {
                let object: KeyedDecodingContainer<AnyKey>
                do {
                    object = try container.nestedContainer(keyedBy: AnyKey.self, forKey: key)
                } catch {
                    throw EntryFailure.metadata(name, "__metadata__ must be an object of strings")
                }
                for metaKey in object.allKeys {
                    do {
                        metadata[metaKey.stringValue] = try object.decode(String.self, forKey: metaKey)
                    } catch {
                        throw EntryFailure.metadata(metaKey.stringValue, "value is not a string")
                    }
                }
                continue
            }
            do {
                tensors.append((name, try container.decode(RawEntry.self, forKey: key)))
            } catch let error as DecodingError {
                throw EntryFailure.tensor(name, Self.reason(error))
            } catch {
                // Foundation reports a number that is not an integer (1.5, 1e30) for an `Int`
                // field with its own, non-`DecodingError` type.
                throw EntryFailure.tensor(name, "shape and data_offsets must hold integers, got "
                                          + (JSONDecoding.numberText(error) ?? JSONDecoding.quoted("\(error)")))
            }
        }
    }

    private static func reason(_ error: DecodingError) -> String {
        func field(_ path: [CodingKey]) -> String {
            path.dropFirst().map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, _):
            return "missing field '\(key.stringValue)'"
        case let .typeMismatch(type, context):
            let path = field(context.codingPath)
            if path.isEmpty { return "entry is not an object with dtype, shape and data_offsets" }
            return "field '\(path)' has the wrong type (expected \(type))"
        case let .valueNotFound(_, context):
            return "field '\(field(context.codingPath))' is null"
        case let .dataCorrupted(context):
            return "field '\(field(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}
