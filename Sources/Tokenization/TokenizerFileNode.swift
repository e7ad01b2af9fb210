/// A value inside a tokenizer file, with the file and the key path that lead to it, so that every error names both
/// (`tokenizer.json: pre_tokenizer.pretokenizers[1].replacement: expected a string, found null`).
///
/// Missing keys and `null` are the same to `optional(_:)`, as they are to serde's `Option` fields.
struct TokenizerFileNode {
    let value: JSONValue
    /// The file being read (a path, as given).
    let file: String
    /// Where `value` is in the file: `model.vocab`, `normalizer.normalizers[2]`; empty for the top level.
    let keyPath: String

    /// The error naming this node: `reason` is said of the value at `keyPath`.
    func error(_ reason: String) -> TokenizationError {
        .invalidTokenizerFile(path: file, key: keyPath.isEmpty ? "(top level)" : keyPath, reason: reason)
    }

    /// The node of `key` below this one, for reading and for naming it in errors.
    func child(_ key: String, _ value: JSONValue) -> TokenizerFileNode {
        TokenizerFileNode(value: value, file: file, keyPath: keyPath.isEmpty ? key : "\(keyPath).\(key)")
    }

    /// The members of this object, in file order.
    func members() throws -> [(key: String, value: JSONValue)] {
        guard case .object(let members) = value else { throw error("expected an object, found \(value.typeName)") }
        return members
    }

    /// The value of `key` (the last one when repeated), or nil when the key is missing or null.
    func optional(_ key: String) throws -> TokenizerFileNode? {
        let members = try members()
        guard let found = members.last(where: { $0.key == key }) else { return nil }
        if case .null = found.value { return nil }
        return child(key, found.value)
    }

    /// The value of `key`.
    /// - Throws: when the key is missing or null.
    func required(_ key: String) throws -> TokenizerFileNode {
        guard let node = try optional(key) else {
            throw child(key, .null).error("missing (required here)")
        }
        return node
    }

    func string() throws -> String {
        guard case .string(let s) = value else { throw error("expected a string, found \(value.typeName)") }
        return s
    }

    func bool() throws -> Bool {
        guard case .bool(let b) = value else { throw error("expected true or false, found \(value.typeName)") }
        return b
    }

    func double() throws -> Double {
        guard case .number(let text) = value, let d = Double(text), d.isFinite else {
            throw error("expected a finite number, found \(value.typeName)")
        }
        return d
    }

    /// A non-negative integer that fits an `Int32` token id.
    func id() throws -> Int32 {
        guard case .number(let text) = value, let i = Int32(text), i >= 0 else {
            let found: String
            if case .number(let text) = value { found = text } else { found = value.typeName }
            throw error("expected a token id (an integer from 0 to \(Int32.max)), found \(found)")
        }
        return i
    }

    func elements() throws -> [TokenizerFileNode] {
        guard case .array(let items) = value else { throw error("expected an array, found \(value.typeName)") }
        return items.enumerated().map {
            TokenizerFileNode(value: $0.element, file: file, keyPath: "\(keyPath)[\($0.offset)]")
        }
    }

    /// The `type` member of a component object (`"BertNormalizer"`, …).
    func componentType() throws -> String { try required("type").string() }

    func optionalString(_ key: String) throws -> String? { try optional(key)?.string() }
    func optionalBool(_ key: String) throws -> Bool? { try optional(key)?.bool() }
    func bool(_ key: String, default fallback: Bool) throws -> Bool { try optional(key)?.bool() ?? fallback }
}
