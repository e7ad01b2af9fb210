import Foundation

/// `JSONDecoder.decode` for user files, with the messages Foundation does not give. Foundation reports a number its
/// target type cannot hold (`2.5` or `1e30` for an integer key, `1e40` for a Float) as "The given data was not valid
/// JSON." with no key; here that becomes `DecodingError.dataCorrupted` at the key, "expected an integer, got 2.5",
/// and real syntax errors say what JSONSerialization found. Input quoted in messages is cut at 80 characters.
public enum JSONDecoding {
    /// Decodes `type` from `data`.
    /// - Throws: the decoder's `DecodingError`, with a located key path and message for unrepresentable numbers.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data, using decoder: JSONDecoder = JSONDecoder()) throws -> T {
        do {
            return try decoder.decode(T.self, from: data)
        } catch where isKeyless(error) {
            if let (path, message) = unrepresentableNumber(in: data, original: "\(error)",
                                                           decode: { _ = try decoder.decode(T.self, from: $0) }) {
                throw DecodingError.dataCorrupted(.init(codingPath: path, debugDescription: message))
            }
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: syntaxProblem(data) ?? "\(error)"))
        }
    }

    /// Foundation's key-less failures: "not valid JSON" at the top level, or (inside a custom `init(from:)`) its
    /// internal `numberIsNotRepresentableInSwift(parsed:)`.
    static func isKeyless(_ error: Error) -> Bool {
        if case let DecodingError.dataCorrupted(ctx) = error { return ctx.codingPath.isEmpty }
        return numberText(error) != nil
    }

    /// `2.5` of Foundation's internal `numberIsNotRepresentableInSwift(parsed: "2.5")`, else nil.
    public static func numberText(_ error: Error) -> String? {
        let text = "\(error)"
        guard let r = text.range(of: "numberIsNotRepresentableInSwift(parsed: \"") else { return nil }
        let rest = text[r.upperBound...]
        return quoted(String(rest.prefix { $0 != "\"" }))
    }

    /// One key of a located path.
    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init(intValue: Int) { self.stringValue = "\(intValue)"; self.intValue = intValue }
    }

    /// The first number (in document order) whose replacement by an integer makes the decoder's key-less error go
    /// away: numbers are replaced one after another (non-integral ones, and integers or floats beyond 2^53 or the
    /// Float range), and the one at which `decode` stops failing with `original` is named.
    static func unrepresentableNumber(in data: Data, original: String, decode: (Data) throws -> Void)
        -> (path: [CodingKey], message: String)? {
        guard var root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return nil }
        var candidates: [([Key], NSNumber)] = []
        collect(root, path: [], into: &candidates)
        for (path, number) in candidates.prefix(10_000) {
            let v = number.doubleValue
            root = replacing(root, at: path[...], with: NSNumber(value: 0))   // 0 fits every numeric type
            guard let patched = try? JSONSerialization.data(withJSONObject: root, options: [.fragmentsAllowed]) else { return nil }
            do {
                try decode(patched)
            } catch where isKeyless(error) && "\(error)" == original {
                continue
            } catch {}
            let text = quoted(number.stringValue)
            let integral = v.isFinite && v == v.rounded()
            return (path, integral ? "got \(text), which is out of range for this key's type"
                                   : "expected an integer, got \(text)")
        }
        return nil
    }

    static func collect(_ value: Any, path: [Key], into out: inout [([Key], NSNumber)]) {
        if let d = value as? [String: Any] {
            for k in d.keys.sorted() { collect(d[k]!, path: path + [Key(stringValue: k)], into: &out) }
        } else if let a = value as? [Any] {
            for (i, x) in a.enumerated() { collect(x, path: path + [Key(intValue: i)], into: &out) }
        } else if let n = value as? NSNumber, !(value is Bool) {
            let v = n.doubleValue
            if !v.isFinite || v != v.rounded() || abs(v) > 9_007_199_254_740_992 || abs(v) > Double(Float.greatestFiniteMagnitude) {
                out.append((path, n))
            }
        }
    }

    static func replacing(_ value: Any, at path: ArraySlice<Key>, with new: Any) -> Any {
        guard let k = path.first else { return new }
        if var d = value as? [String: Any], let child = d[k.stringValue] {
            d[k.stringValue] = replacing(child, at: path.dropFirst(), with: new)
            return d
        }
        if var a = value as? [Any], let i = k.intValue, a.indices.contains(i) {
            a[i] = replacing(a[i], at: path.dropFirst(), with: new)
            return a
        }
        return value
    }

    /// What JSONSerialization says about text that is not JSON (with its position when it gives one).
    static func syntaxProblem(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let info = (error as NSError).userInfo
            let detail = (info[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            return "not valid JSON: \(quoted(detail, limit: 200))"
        }
    }

    /// `text` cut at `limit` characters (with `…`), for quoting input in one-line messages.
    public static func quoted(_ text: String, limit: Int = 80) -> String {
        text.count <= limit ? text : String(text.prefix(limit)) + "…"
    }
}
