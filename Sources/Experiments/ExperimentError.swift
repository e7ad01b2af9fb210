/// Errors of the experiment layer; messages name the file and key.
public enum ExperimentError: Error, CustomStringConvertible {
    case badPath(path: String, reason: String)
    case invalid(String)
    /// A problem in an experiment file (or a run manifest): the file, the key path (`batching.batch_size`,
    /// `schemes[2]`), the line when known, and what was expected.
    case config(file: String, keyPath: String, line: Int?, message: String)
    /// `qbench reproduce` refuses: the model or data differ from what the manifest recorded.
    case notReproducible(String)

    public var description: String {
        switch self {
        case let .badPath(path, reason): return "\(path): \(reason)"
        case let .invalid(message): return message
        case let .config(file, keyPath, line, message):
            return "\(file)\(line.map { ":\($0)" } ?? ""): key \(keyPath): \(message)"
        case let .notReproducible(message): return "refusing to reproduce: \(message)"
        }
    }
}
