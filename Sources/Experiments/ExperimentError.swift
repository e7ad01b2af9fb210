/// Errors of the experiment layer; messages name the file and key.
public enum ExperimentError: Error, CustomStringConvertible {
    case badPath(path: String, reason: String)
    case invalid(String)
    /// A problem in an experiment file (or a run manifest): the file, the key path (`batching.batch_size`,
    /// `schemes[2]`), the line when known, and what was expected.
    case config(file: String, keyPath: String, line: Int?, message: String)
    /// `qbench reproduce` refuses: the model or data differ from what the manifest recorded.
    case notReproducible(String)
    /// The model's logits for an example hold NaN or ±Inf: `data` is the data file (nil when unknown), `example` the
    /// 0-based example index and `line` its line in that file.
    case nonFiniteOutput(data: String?, example: Int, line: Int?, value: Float)

    public var description: String {
        switch self {
        case let .badPath(path, reason): return "\(path): \(reason)"
        case let .invalid(message): return message
        case let .config(file, keyPath, line, message):
            return "\(file)\(line.map { ":\($0)" } ?? ""): key \(keyPath): \(message)"
        case let .notReproducible(message): return "refusing to reproduce: \(message)"
        case let .nonFiniteOutput(data, example, line, value):
            let place = data.map { "\($0)\(line.map { ":\($0)" } ?? ""): " } ?? ""
            return "\(place)example \(example): the model's logits hold \(value) (non-finite output; "
                + "--allow-nonfinite keeps going and writes such logits as \"NaN\", \"Infinity\" or \"-Infinity\")"
        }
    }
}
