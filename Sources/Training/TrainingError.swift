/// Every error the Training module throws; messages name the file, tensor, option or line.
public enum TrainingError: Error, CustomStringConvertible {
    /// A model folder or tensor that cannot be used as a base for fine-tuning.
    case badModel(path: String, reason: String)
    /// An option out of range (`--epochs 0`, `--lr -1`…).
    case badOption(name: String, reason: String)
    /// Training data that cannot be used (unlabelled, empty…).
    case badData(path: String, reason: String)
    /// The output folder cannot be written.
    case badOutput(path: String, reason: String)
    /// A non-finite loss or gradient at an optimizer step.
    case diverged(step: Int, reason: String)
    /// `config.json` (at `path`) names an encoder family the trainer does not have backward passes for.
    case familyNotTrainable(path: String, modelType: String)

    public var description: String {
        switch self {
        case let .badModel(path, reason): return "\(path): \(reason)"
        case let .badOption(name, reason): return "--\(name): \(reason)"
        case let .badData(path, reason): return "\(path): \(reason)"
        case let .badOutput(path, reason): return "\(path): \(reason)"
        case let .diverged(step, reason): return "training diverged at step \(step): \(reason)"
        case let .familyNotTrainable(path, modelType):
            return "\(path): key \"model_type\": training is not supported for model_type \(modelType) yet "
                + "(only bert, distilbert, roberta and xlm-roberta; eval, quantize, stats, sweep and bench run every family)"
        }
    }
}
