import Foundation
import Yams
import _Support

/// The expected shape of a YAML value, for strict validation of experiment files.
///
/// Yams' `YAMLDecoder` ignores keys a `Codable` type does not ask for, so a misspelt key (`batch_sise`) would
/// silently fall back to its default. `ConfigShape.check` walks the composed node tree first and rejects unknown
/// keys at any depth, duplicate keys, wrong scalar types and wrong container kinds, naming the key path
/// (`batching.batch_size`, `schemes[2].default.weight.bits`), the line and the expected type.
indirect enum ConfigShape {
    /// Any non-null scalar (numbers and booleans are accepted as their text).
    case string
    /// An integer scalar, optionally within `range`.
    case integer(ClosedRange<Int>?)
    /// A number (integer or floating point).
    case number
    /// `true` / `false` (YAML 1.1 `yes`/`no`/`on`/`off` too).
    case boolean
    /// One of a fixed set of strings.
    case choice([String])
    /// A string `accepts` takes; `expected` describes the accepted strings ("peg<K>, …").
    case matching(expected: String, accepts: (String) -> Bool)
    /// A sequence whose elements all have the element shape; `nonEmpty` rejects `[]`.
    case list(ConfigShape, nonEmpty: Bool)
    /// A non-empty sequence of scalars of the element shape, none repeated (the levels of a sweep axis).
    case distinctList(ConfigShape)
    /// A mapping with exactly these keys (required ones must be present); `name` describes it in messages.
    case mapping(name: String, fields: [(key: String, shape: ConfigShape, required: Bool)])
    /// The first alternative whose node kind (scalar / mapping / sequence) matches; `expected` describes them all.
    case oneOf([ConfigShape], expected: String)
    /// The shape, or YAML null.
    case nullable(ConfigShape)

    /// One problem found in a file: where, and what was expected.
    struct Issue: Error {
        var keyPath: String
        var line: Int?
        var message: String
    }

    /// What a user should have written, for messages ("an integer ≥ 1", "a list of integers").
    var expected: String {
        switch self {
        case .string: return "a string"
        case let .integer(range?):
            if range.upperBound == Int.max { return "an integer ≥ \(range.lowerBound)" }
            return "an integer in \(range.lowerBound)…\(range.upperBound)"
        case .integer(nil): return "an integer"
        case .number: return "a number"
        case .boolean: return "true or false"
        case let .choice(values): return "one of " + values.joined(separator: ", ")
        case let .matching(expected, _): return "one of " + expected
        case let .list(element, nonEmpty):
            return (nonEmpty ? "a non-empty list of " : "a list of ") + element.plural
        case let .distinctList(element): return "a non-empty list of distinct " + element.plural
        case let .mapping(name, fields):
            return "\(name) (a mapping with keys \(fields.map(\.key).joined(separator: ", ")))"
        case let .oneOf(_, expected): return expected
        case let .nullable(shape): return shape.expected + " or null"
        }
    }

    private var plural: String {
        switch self {
        case .string: return "strings"
        case .integer(nil): return "integers"
        case let .integer(range?) where range.upperBound == Int.max: return "integers ≥ \(range.lowerBound)"
        case .integer: return "integers (\(expected))"
        case .number: return "numbers"
        case .boolean: return "booleans"
        case let .choice(values): return "values from " + values.joined(separator: ", ")
        case let .matching(expected, _): return "values from " + expected
        case let .mapping(name, _): return "\(name) mappings"
        default: return "items (\(expected))"
        }
    }

    private enum Kind { case scalar, mapping, sequence }

    private var kinds: Set<Kind> {
        switch self {
        case .string, .integer, .number, .boolean, .choice, .matching: return [.scalar]
        case .list, .distinctList: return [.sequence]
        case .mapping: return [.mapping]
        case let .oneOf(alternatives, _): return alternatives.reduce(into: []) { $0.formUnion($1.kinds) }
        case let .nullable(shape): return shape.kinds.union([.scalar])
        }
    }

    /// Checks `node` (at `path`) against the shape; throws the first `Issue` found, in document order.
    func check(_ node: Node, path: String) throws {
        let line = node.mark.map { $0.line }
        func fail(_ found: String) -> Issue {
            Issue(keyPath: path.isEmpty ? "(top level)" : path, line: line,
                  message: "expected \(expected), found \(found)")
        }
        if case let .alias(a) = node {
            throw Issue(keyPath: path, line: a.mark?.line, message: "YAML aliases are not supported in experiment files")
        }
        switch self {
        case let .nullable(shape):
            if node.isNullScalar { return }
            do { try shape.check(node, path: path) } catch var issue as Issue where issue.keyPath == path {
                issue.message = "expected \(expected)" + (issue.message.range(of: ", found").map { String(issue.message[$0.lowerBound...]) } ?? "")
                throw issue
            }
        case .string:
            guard let s = node.scalar, !node.isNullScalar else { throw fail(node.describe) }
            _ = s
        case let .integer(range):
            guard let s = node.scalar, !s.isQuoted, let v = node.int else { throw fail(node.describe) }
            if let range, !range.contains(v) { throw fail("\(v)") }
        case .number:
            guard let s = node.scalar, !s.isQuoted, node.float != nil else { throw fail(node.describe) }
        case .boolean:
            guard let s = node.scalar, !s.isQuoted, node.bool != nil else { throw fail(node.describe) }
        case let .choice(values):
            guard let s = node.scalar, !node.isNullScalar, values.contains(s.string) else { throw fail(node.describe) }
        case let .matching(_, accepts):
            guard let s = node.scalar, !node.isNullScalar, accepts(s.string) else { throw fail(node.describe) }
        case let .list(element, nonEmpty):
            guard let seq = node.sequence else { throw fail(node.describe) }
            if nonEmpty, seq.isEmpty { throw fail("an empty list") }
            for (i, item) in seq.enumerated() { try element.check(item, path: "\(path)[\(i)]") }
        case let .distinctList(element):
            guard let seq = node.sequence else { throw fail(node.describe) }
            if seq.isEmpty { throw fail("an empty list") }
            var seen: [String: Int] = [:]
            for (i, item) in seq.enumerated() {
                try element.check(item, path: "\(path)[\(i)]")
                let text = item.scalar?.string ?? ""
                let value = element.canonical(item) ?? text
                if let first = seen[value] {
                    throw Issue(keyPath: "\(path)[\(i)]", line: item.mark?.line,
                                message: "level '\(text)' repeats \(path)[\(first)]; expected each level once")
                }
                seen[value] = i
            }
        case let .mapping(_, fields):
            guard let map = node.mapping else { throw fail(node.describe) }
            var seen: Set<String> = []
            for (keyNode, value) in map {
                guard let key = keyNode.scalar?.string else {
                    throw Issue(keyPath: path, line: keyNode.mark?.line, message: "mapping keys must be plain strings")
                }
                let keyPath = path.isEmpty ? key : "\(path).\(key)"
                guard let field = fields.first(where: { $0.key == key }) else {
                    throw Issue(keyPath: keyPath, line: keyNode.mark?.line,
                                message: "unknown key '\(JSONDecoding.quoted(key))'; expected \(expected)")
                }
                guard seen.insert(key).inserted else {
                    throw Issue(keyPath: keyPath, line: keyNode.mark?.line, message: "key '\(key)' appears twice")
                }
                try field.shape.check(value, path: keyPath)
            }
            for field in fields where field.required && !seen.contains(field.key) {
                throw Issue(keyPath: path.isEmpty ? field.key : "\(path).\(field.key)", line: line,
                            message: "required key is missing; expected \(field.shape.expected)")
            }
        case let .oneOf(alternatives, _):
            let kind: Kind = node.mapping != nil ? .mapping : node.sequence != nil ? .sequence : .scalar
            guard let shape = alternatives.first(where: { $0.kinds.contains(kind) }) else { throw fail(node.describe) }
            do { try shape.check(node, path: path) } catch var issue as Issue where issue.keyPath == path {
                // A scalar of the right kind but the wrong value: describe every alternative, not just the first.
                issue.message = "expected \(expected)" + (issue.message.range(of: ", found").map { String(issue.message[$0.lowerBound...]) } ?? "")
                throw issue
            }
        }
    }
}

extension ConfigShape {
    /// The value of a checked scalar for duplicate detection (`yes` and `true` are the same boolean, `08` and `8`
    /// the same integer).
    fileprivate func canonical(_ node: Node) -> String? {
        switch self {
        case .integer: return node.int.map { "\($0)" }
        case .boolean: return node.bool.map { "\($0)" }
        case .number: return node.float.map { "\($0)" }
        default: return node.scalar?.string
        }
    }
}

extension Node {
    /// True for `~`, `null` and empty plain scalars.
    fileprivate var isNullScalar: Bool {
        guard let s = scalar, !s.isQuoted else { return false }
        return null != nil
    }

    /// A short description of what the user wrote, for "found …" in messages.
    fileprivate var describe: String {
        switch self {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case let .scalar(s):
            if isNullScalar { return "null" }
            return "'\(JSONDecoding.quoted(s.string))'"
        }
    }
}

extension Node.Scalar {
    fileprivate var isQuoted: Bool { style == .singleQuoted || style == .doubleQuoted }
}
