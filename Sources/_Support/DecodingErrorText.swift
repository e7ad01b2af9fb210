import Foundation

/// The one description of a `DecodingError` used by every JSON and YAML reader: the key path (`a.b[2].c`,
/// `(top level)` for the root) and what was expected there.
public enum DecodingErrorText {
    /// The key path of the value the decoder failed on, as `data.path`, `schemes[2].weight` or `(top level)`.
    public static func keyPath(_ error: Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, ctx): return format(ctx.codingPath + [key])
        case let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx),
             let DecodingError.dataCorrupted(ctx):
            return format(ctx.codingPath)
        default: return "(top level)"
        }
    }

    /// What was wrong at `keyPath(error)`: `expected Double`, `required key is missing`, the decoder's own text.
    public static func message(_ error: Error) -> String {
        switch error {
        case let DecodingError.typeMismatch(type, _): return "expected \(type)"
        case let DecodingError.valueNotFound(type, _): return "missing value; expected \(type)"
        case DecodingError.keyNotFound: return "required key is missing"
        case let DecodingError.dataCorrupted(ctx): return ctx.debugDescription
        default: return "\(error)"
        }
    }

    /// One line: `key results[0].seconds: expected Double`.
    public static func describe(_ error: Error) -> String {
        "key \(keyPath(error)): \(message(error))"
    }

    /// `a.b[2].c` for a coding path.
    public static func format(_ path: [CodingKey]) -> String {
        var out = ""
        for k in path {
            if let i = k.intValue { out += "[\(i)]" } else { out += (out.isEmpty ? "" : ".") + k.stringValue }
        }
        return out.isEmpty ? "(top level)" : out
    }
}
