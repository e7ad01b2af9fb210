/// Every error the BERT module throws; messages name the file and the key or tensor.
public enum BERTError: Error, CustomStringConvertible {
    case missingFile(path: String)
    case invalidConfig(path: String, key: String, expected: String)
    case unsupportedConfig(path: String, key: String, value: String)
    /// Canonical tensor `name` is in none of its spellings in weights `file` (`prefix`: the family's base prefix).
    case missingTensor(model: String, name: String, prefix: String = "bert.")
    /// Checkpoint `file` holds `tensor`, which the configuration's classifier does not use.
    case unusedTensor(file: String, tensor: String, modelType: String)
    /// `config.json` names a `model_type` QuantBench has no family for.
    case unknownModelType(path: String, modelType: String, known: [String])
    /// `config.json` names a family QuantBench knows but does not run yet (deberta-v2).
    case modelTypeNotYetSupported(path: String, modelType: String)
    case wrongShape(model: String, name: String, expected: [Int], found: [Int])
    /// A tensor's shape disagrees with what `config.json`'s `keys` (one per mismatched dimension) require.
    case shapeDisagreesWithConfig(config: String, tensor: String, keys: [String], expected: [Int], found: [Int])
    /// A weight holds NaN or ±Inf (`value` at flat `index`); `file` is the weights file.
    case nonFiniteWeight(file: String, tensor: String, index: Int, value: Float)
    case checkpoint(String)
    case badInput(String)

    public var description: String {
        switch self {
        case let .missingFile(path):
            return "model file not found: \(path)"
        case let .invalidConfig(path, key, expected):
            return "\(path): key \"\(key)\": expected \(expected)"
        case let .unsupportedConfig(path, key, value):
            return "\(path): key \"\(key)\" = \(value) is not supported"
        case let .missingTensor(model, name, prefix):
            return "\(model): missing tensor \"\(name)\" (also looked for \"\(prefix)\(name)\" and legacy gamma/beta names)"
        case let .unusedTensor(file, tensor, modelType):
            return "\(file): tensor \"\(tensor)\" is not used by a \(modelType) classifier with this config.json "
                + "(a checkpoint of another architecture or shape?)"
        case let .unknownModelType(path, modelType, known):
            return "\(path): key \"model_type\" = \"\(modelType)\" is not a supported architecture (supported: "
                + known.joined(separator: ", ") + ")"
        case let .modelTypeNotYetSupported(path, modelType):
            return "\(path): key \"model_type\": model_type \(modelType) is not supported yet"
        case let .wrongShape(model, name, expected, found):
            return "\(model): tensor \"\(name)\" has shape \(found), expected \(expected)"
        case let .shapeDisagreesWithConfig(config, tensor, keys, expected, found):
            return "\(config): key \(keys.map { "\"\($0)\"" }.joined(separator: ", ")) gives tensor \"\(tensor)\" "
                + "shape \(expected), but the checkpoint's has shape \(found)"
        case let .nonFiniteWeight(file, tensor, index, value):
            return "\(file): tensor \"\(tensor)\" holds \(value) at index \(index) (non-finite weights; "
                + "allowNonFinite / --allow-nonfinite loads them anyway)"
        case let .checkpoint(message):
            return message
        case let .badInput(message):
            return message
        }
    }
}
