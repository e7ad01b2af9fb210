import Foundation

/// Finds the first key that appears twice in one JSON object.
///
/// `JSONDecoder` and `JSONSerialization` silently keep one of two equal keys (Foundation the first, Python's
/// `json` and Rust's `serde_json` the last), so a file with duplicates means different things to different
/// readers. This scan walks already-valid JSON once, tracking the keys of every open object; keys are compared
/// after unescaping, so `"w"` and `"\u0077"` are the same key.
enum JSONDuplicateKeys {
    /// The path (`outer.inner`) of the first repeated key in `json`, or nil. `json` must be valid JSON; on
    /// anything else the result is nil and the real parser reports the error.
    static func first(in json: Data) -> String? {
        let bytes = [UInt8](json)
        /// One open container: its keys so far (objects only) and the key under which it sits.
        struct Level { var isObject: Bool; var keys: Set<String> = []; var name: String?; var expectingKey: Bool }
        var levels: [Level] = []
        var lastKey: String?
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            switch c {
            case UInt8(ascii: "{"):
                levels.append(Level(isObject: true, name: lastKey, expectingKey: true))
                lastKey = nil
            case UInt8(ascii: "["):
                levels.append(Level(isObject: false, name: lastKey, expectingKey: false))
                lastKey = nil
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                guard !levels.isEmpty else { return nil }
                levels.removeLast()
                lastKey = nil
            case UInt8(ascii: ","):
                if let last = levels.indices.last, levels[last].isObject { levels[last].expectingKey = true }
                lastKey = nil
            case UInt8(ascii: "\""):
                var j = i + 1
                var escaped = false
                while j < bytes.count, bytes[j] != UInt8(ascii: "\"") {
                    if bytes[j] == UInt8(ascii: "\\") { escaped = true; j += 1 }
                    j += 1
                }
                guard j < bytes.count else { return nil }
                if let last = levels.indices.last, levels[last].isObject, levels[last].expectingKey {
                    guard let key = decodeString(bytes[i...j], escaped: escaped) else { return nil }
                    if !levels[last].keys.insert(key).inserted {
                        let path = levels.compactMap(\.name) + [key]
                        return path.joined(separator: ".")
                    }
                    levels[last].expectingKey = false
                    lastKey = key
                }
                i = j
            default:
                break
            }
            i += 1
        }
        return nil
    }

    /// The value of the JSON string literal `literal` (quotes included).
    private static func decodeString(_ literal: ArraySlice<UInt8>, escaped: Bool) -> String? {
        guard escaped else { return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self) }
        return (try? JSONSerialization.jsonObject(with: Data(literal), options: .fragmentsAllowed)) as? String
    }
}
