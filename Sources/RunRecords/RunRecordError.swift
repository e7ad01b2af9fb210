import _Support

/// Errors reading a run folder's files (`manifest.json`, `results.json`, `predictions/*.jsonl`): the file, and
/// the key or line that is wrong.
public enum RunRecordError: Error, CustomStringConvertible {
    /// A file that is missing or cannot be read, or a line that is not a record.
    case badPath(path: String, reason: String)
    /// A file that does not decode: the key path (`config.batching.batch_size`, `schemes[2]`) and what was expected.
    case malformed(file: String, keyPath: String, message: String)

    /// `malformed` for a `DecodingError`, with the key path and message of `DecodingErrorText`.
    public static func decoding(_ error: Error, file: String) -> RunRecordError {
        .malformed(file: file, keyPath: DecodingErrorText.keyPath(error), message: DecodingErrorText.message(error))
    }

    public var description: String {
        switch self {
        case let .badPath(path, reason): return "\(path): \(reason)"
        case let .malformed(file, keyPath, message): return "\(file): key \(keyPath): \(message)"
        }
    }
}
