/// Glob patterns over HF-style layer names (`encoder.layer.3.attention.self.query`).
///
/// Segments are separated by `.`: `*` matches any run of characters within one segment, `?` one character
/// within a segment, `**` any run of characters including dots. So `encoder.layer.*.output.dense` matches the
/// FFN output of every layer but not `encoder.layer.3.attention.output.dense`, and `**.query` matches every
/// query projection. Everything else matches itself.
public struct LayerNamePattern: Hashable, Sendable, CustomStringConvertible {
    /// The pattern as written.
    public let pattern: String
    private let tokens: [Token]

    private enum Token: Hashable, Sendable {
        case literal(Character)
        case anyInSegment      // *
        case anyAcrossSegments // **
        case oneInSegment      // ?
    }

    /// Parses `*`, `**` and `?`; everything else is literal.
    public init(_ pattern: String) {
        self.pattern = pattern
        var tokens = [Token]()
        let chars = Array(pattern)
        var i = 0
        while i < chars.count {
            switch chars[i] {
            case "*":
                if i + 1 < chars.count, chars[i + 1] == "*" {
                    tokens.append(.anyAcrossSegments)
                    i += 1
                } else {
                    tokens.append(.anyInSegment)
                }
            case "?": tokens.append(.oneInSegment)
            default: tokens.append(.literal(chars[i]))
            }
            i += 1
        }
        self.tokens = tokens
    }

    public var description: String { pattern }

    /// Whether the whole of `name` matches the pattern.
    public func matches(_ name: String) -> Bool {
        let s = Array(name)
        // match[i][j]: tokens[i...] matches s[j...]; computed bottom-up.
        var next = [Bool](repeating: false, count: s.count + 1)
        next[s.count] = true
        for t in tokens.reversed() {
            var cur = [Bool](repeating: false, count: s.count + 1)
            for j in stride(from: s.count, through: 0, by: -1) {
                switch t {
                case let .literal(c): cur[j] = j < s.count && s[j] == c && next[j + 1]
                case .oneInSegment: cur[j] = j < s.count && s[j] != "." && next[j + 1]
                case .anyInSegment: cur[j] = next[j] || (j < s.count && s[j] != "." && cur[j + 1])
                case .anyAcrossSegments: cur[j] = next[j] || (j < s.count && cur[j + 1])
                }
            }
            next = cur
        }
        return next[0]
    }
}
