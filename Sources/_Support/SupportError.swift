/// Errors of the support helpers: a file that cannot be written or read, naming the path.
public enum SupportError: Error, CustomStringConvertible {
    /// `path` could not be written (nothing was left at `path`); `reason` says which step failed.
    case writeFailed(path: String, reason: String)
    /// `path` could not be read.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .writeFailed(path, reason): return "\(path): write failed, destination left unchanged: \(reason)"
        case let .unreadable(path, reason): return "\(path): \(reason)"
        }
    }
}
