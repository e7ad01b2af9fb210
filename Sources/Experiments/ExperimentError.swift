/// Errors of the experiment layer; messages name the file and key.
public enum ExperimentError: Error, CustomStringConvertible {
    case badPath(path: String, reason: String)
    case invalid(String)

    public var description: String {
        switch self {
        case let .badPath(path, reason): return "\(path): \(reason)"
        case let .invalid(message): return message
        }
    }
}
