import Foundation

/// A JSON document as read from a tokenizer file, objects kept as ordered key/value lists.
///
/// Strict RFC 8259 (no comments, no trailing commas, one top-level value). Object keys are kept as written, in file
/// order, and compared scalar for scalar: a Swift `[String: …]` would merge canonically equivalent keys
/// (`"é"` and `"e\u{301}"`), which are different tokens in a `tokenizer.json` vocabulary, as they are for
/// `serde_json`. Numbers keep their text, so an integer id is read exactly and a score as the nearest `Double`.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The number as written (`-1.5e3`).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in file order; a repeated key keeps both entries (readers take the last, as serde does).
    case object([(key: String, value: JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case let (.bool(a), .bool(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.string(a), .string(b)): return a.unicodeScalars.elementsEqual(b.unicodeScalars)
        case let (.array(a), .array(b)): return a == b
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy {
                $0.key.unicodeScalars.elementsEqual($1.key.unicodeScalars) && $0.value == $1.value
            }
        default: return false
        }
    }

    /// The JSON type name used in error messages (`"a string"`, `"an object"`, …).
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "a boolean"
        case .number: return "a number"
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }

    /// Parses UTF-8 JSON text.
    /// - Throws: `JSONSyntaxError` with the line and column of the first error.
    public static func parse(_ data: Data) throws -> JSONValue {
        var parser = Parser(bytes: [UInt8](data))
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.position == parser.bytes.count else { throw parser.error("unexpected text after the JSON value") }
        return value
    }

    /// The syntax error of a JSON text: what was wrong and where (1-based line and column, in bytes).
    public struct JSONSyntaxError: Error, CustomStringConvertible, Equatable {
        public let line: Int
        public let column: Int
        public let reason: String
        public var description: String { "line \(line), column \(column): \(reason)" }
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0
        static let maxDepth = 512

        func error(_ reason: String) -> JSONSyntaxError {
            var line = 1, column = 1
            for byte in bytes[..<min(position, bytes.count)] {
                if byte == 0x0A { line += 1; column = 1 } else { column += 1 }
            }
            return JSONSyntaxError(line: line, column: column, reason: reason)
        }

        mutating func skipWhitespace() {
            while position < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[position]) { position += 1 }
        }

        mutating func value(depth: Int) throws -> JSONValue {
            guard depth < Parser.maxDepth else { throw error("nesting deeper than \(Parser.maxDepth)") }
            guard position < bytes.count else { throw error("unexpected end of file, expected a value") }
            switch bytes[position] {
            case UInt8(ascii: "{"): return try object(depth: depth)
            case UInt8(ascii: "["): return try array(depth: depth)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try literal("true"); return .bool(true)
            case UInt8(ascii: "f"): try literal("false"); return .bool(false)
            case UInt8(ascii: "n"): try literal("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
            default: throw error("unexpected character '\(Unicode.Scalar(bytes[position]))'")
            }
        }

        mutating func literal(_ word: String) throws {
            let expected = Array(word.utf8)
            guard position + expected.count <= bytes.count,
                  Array(bytes[position..<position + expected.count]) == expected else {
                throw error("invalid literal, expected '\(word)'")
            }
            position += expected.count
        }

        mutating func object(depth: Int) throws -> JSONValue {
            position += 1
            var members: [(key: String, value: JSONValue)] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
            while true {
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") else {
                    throw error("expected a string key")
                }
                let key = try string()
                skipWhitespace()
                guard position < bytes.count, bytes[position] == UInt8(ascii: ":") else { throw error("expected ':'") }
                position += 1
                skipWhitespace()
                members.append((key, try value(depth: depth + 1)))
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of file inside an object") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                throw error("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws -> JSONValue {
            position += 1
            var elements: [JSONValue] = []
            skipWhitespace()
            if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
            while true {
                skipWhitespace()
                elements.append(try value(depth: depth + 1))
                skipWhitespace()
                guard position < bytes.count else { throw error("unexpected end of file inside an array") }
                if bytes[position] == UInt8(ascii: ",") { position += 1; continue }
                if bytes[position] == UInt8(ascii: "]") { position += 1; return .array(elements) }
                throw error("expected ',' or ']'")
            }
        }

        mutating func number() throws -> String {
            let start = position
            func digits() -> Int {
                let s = position
                while position < bytes.count, bytes[position] >= 0x30, bytes[position] <= 0x39 { position += 1 }
                return position - s
            }
            if bytes[position] == UInt8(ascii: "-") { position += 1 }
            guard position < bytes.count else { throw error("invalid number") }
            if bytes[position] == UInt8(ascii: "0") { position += 1 } else if digits() == 0 { throw error("invalid number") }
            if position < bytes.count, bytes[position] == UInt8(ascii: ".") {
                position += 1
                guard digits() > 0 else { throw error("invalid number: digits expected after '.'") }
            }
            if position < bytes.count, bytes[position] == UInt8(ascii: "e") || bytes[position] == UInt8(ascii: "E") {
                position += 1
                if position < bytes.count, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                    position += 1
                }
                guard digits() > 0 else { throw error("invalid number: digits expected in the exponent") }
            }
            return String(decoding: bytes[start..<position], as: UTF8.self)
        }

        mutating func hex4() throws -> UInt32 {
            guard position + 4 <= bytes.count else { throw error("truncated \\u escape") }
            var v: UInt32 = 0
            for _ in 0..<4 {
                let b = bytes[position]
                let d: UInt32
                switch b {
                case 0x30...0x39: d = UInt32(b - 0x30)
                case 0x41...0x46: d = UInt32(b - 0x41 + 10)
                case 0x61...0x66: d = UInt32(b - 0x61 + 10)
                default: throw error("invalid \\u escape")
                }
                v = v * 16 + d
                position += 1
            }
            return v
        }

        mutating func string() throws -> String {
            position += 1
            var scalars = String.UnicodeScalarView()
            var runStart = position
            func flushRun() throws {
                guard runStart < position else { return }
                guard let run = String(validating: bytes[runStart..<position], as: UTF8.self) else {
                    throw error("string is not valid UTF-8")
                }
                scalars.append(contentsOf: run.unicodeScalars)
            }
            while true {
                guard position < bytes.count else { throw error("unterminated string") }
                let b = bytes[position]
                if b == UInt8(ascii: "\"") {
                    try flushRun()
                    position += 1
                    return String(scalars)
                }
                if b < 0x20 { throw error("control character in a string (must be escaped)") }
                if b != UInt8(ascii: "\\") { position += 1; continue }
                try flushRun()
                position += 1
                guard position < bytes.count else { throw error("unterminated escape") }
                let e = bytes[position]
                position += 1
                switch e {
                case UInt8(ascii: "\""): scalars.append("\"")
                case UInt8(ascii: "\\"): scalars.append("\\")
                case UInt8(ascii: "/"): scalars.append("/")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "u"):
                    var code = try hex4()
                    if (0xD800...0xDBFF).contains(code) {
                        guard position + 6 <= bytes.count, bytes[position] == UInt8(ascii: "\\"),
                              bytes[position + 1] == UInt8(ascii: "u") else {
                            throw error("unpaired surrogate in \\u escape")
                        }
                        position += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("unpaired surrogate in \\u escape") }
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else if (0xDC00...0xDFFF).contains(code) {
                        throw error("unpaired surrogate in \\u escape")
                    }
                    scalars.append(Unicode.Scalar(code)!)
                default:
                    position -= 1
                    throw error("invalid escape '\\\(Unicode.Scalar(e))'")
                }
                runStart = position
            }
        }
    }
}
