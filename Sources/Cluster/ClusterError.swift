/// Errors of the cluster layer (Slurm and Kubernetes): the command or file, and what went wrong.
public enum ClusterError: Error, CustomStringConvertible {
    /// A scheduler command that is missing, failed or answered something unexpected.
    case scheduler(command: String, message: String)
    /// A run directory that cannot be used for this (already submitted, never submitted, …).
    case runDirectory(path: String, message: String)
    /// A bad option value.
    case invalid(String)

    public var description: String {
        switch self {
        case let .scheduler(command, message): return "\(command): \(message)"
        case let .runDirectory(path, message): return "\(path): \(message)"
        case let .invalid(message): return message
        }
    }
}
