/// Everything a user can get wrong when describing or applying a quantization scheme (STYLE.md §13).
///
/// Each case names what was wrong: the scheme field (as written in JSON/YAML, e.g. `weight.qmin`),
/// the layer (HF name, e.g. `encoder.layer.3.output.dense`) or the scheme name.
public enum QuantizationError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A scheme field holds a value the scheme cannot have, e.g. `bits` 9 or `qmin` ≥ `qmax`.
    case invalidScheme(field: String, reason: String)
    /// No scheme of that name is registered; `registered` lists every name that is.
    case unknownScheme(name: String, registered: [String])
    /// Two registry entries share a name (a programming error caught by the registry's self-check).
    case duplicateScheme(name: String)
    /// The layer's weight does not fit the scheme, e.g. a group size that does not divide the input width.
    case layerShape(layer: String, reason: String)
    /// The scheme needs calibrated activation ranges (`static_*` range) and none were given for this layer.
    case missingCalibration(layer: String)
    /// An error about the scheme of one layer, with the layer's name in front.
    indirect case inLayer(String, QuantizationError)

    public var description: String {
        switch self {
        case let .invalidScheme(field, reason):
            return "invalid quantization scheme: \(field): \(reason)"
        case let .unknownScheme(name, registered):
            return "unknown quantization scheme '\(name)'; registered schemes: \(registered.joined(separator: ", "))"
        case let .duplicateScheme(name):
            return "quantization scheme '\(name)' is registered twice"
        case let .layerShape(layer, reason):
            return "layer '\(layer)': \(reason)"
        case let .missingCalibration(layer):
            return "layer '\(layer)': the scheme uses static activation ranges but no calibration was given "
                + "(run a calibration pass with CalibratingLinear first)"
        case let .inLayer(layer, error):
            return "layer '\(layer)': \(error)"
        }
    }

    /// The same error with `prefix.` put in front of the field it names (for nested schemes).
    func prefixed(_ prefix: String) -> QuantizationError {
        switch self {
        case let .invalidScheme(field, reason): return .invalidScheme(field: "\(prefix).\(field)", reason: reason)
        default: return self
        }
    }
}
