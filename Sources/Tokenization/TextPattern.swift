/// What a `Replace` normalizer or a `Split` pre-tokenizer looks for: `{"String": "``"}` (the literal text) or
/// `{"Regex": "\\s{2,}"}` (`tokenizers` uses Oniguruma; here Swift `Regex` matching Unicode scalars, whose syntax
/// covers the patterns tokenizer files use: classes, `\p{…}`, `\s`, quantifiers, alternation, look-ahead).
///
/// `matches(in:)` gives the non-overlapping leftmost matches and the text between them as one partition of the
/// scalars, in order, like `Pattern::find_matches` in
/// https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/tokenizer/pattern.rs.
enum TextPattern: @unchecked Sendable {
    case literal([Unicode.Scalar])
    case regex(Regex<AnyRegexOutput>, source: String)

    /// A segment of the text: `range` in scalar offsets and whether it is a match.
    typealias Segment = (range: Range<Int>, isMatch: Bool)

    /// Compiles `source` (`{"Regex": source}`).
    /// - Throws: the compile error text, for the caller to name the file and key.
    static func compile(regex source: String) throws -> TextPattern {
        let regex = try Regex(source).matchingSemantics(.unicodeScalar)
        return .regex(regex, source: source)
    }

    /// The partition of `text` into matches and the gaps between them; an empty text is one empty gap.
    func matches(in text: [Unicode.Scalar]) -> [Segment] {
        if text.isEmpty { return [(0..<0, false)] }
        var found: [Range<Int>] = []
        switch self {
        case .literal(let needle):
            guard !needle.isEmpty else { return [(0..<text.count, false)] }
            var i = 0
            while i + needle.count <= text.count {
                if text[i] == needle[0], text[i..<i + needle.count].elementsEqual(needle) {
                    found.append(i..<i + needle.count)
                    i += needle.count
                } else {
                    i += 1
                }
            }
        case .regex(let regex, _):
            let string = String(String.UnicodeScalarView(text))
            let scalars = string.unicodeScalars
            var offset = 0
            var index = scalars.startIndex
            func advance(to target: String.Index) -> Int {
                while index < target { scalars.formIndex(after: &index); offset += 1 }
                return offset
            }
            for match in string.matches(of: regex) {
                let start = advance(to: match.range.lowerBound)
                let end = advance(to: match.range.upperBound)
                if start < end { found.append(start..<end) }
            }
        }
        var segments: [Segment] = []
        var previous = 0
        for range in found {
            if previous < range.lowerBound { segments.append((previous..<range.lowerBound, false)) }
            segments.append((range, true))
            previous = range.upperBound
        }
        if previous < text.count { segments.append((previous..<text.count, false)) }
        return segments
    }

    /// The partition of `text` into single scalars satisfying `predicate` (each its own match) and the runs between.
    static func matches(in text: [Unicode.Scalar], where predicate: (Unicode.Scalar) -> Bool) -> [Segment] {
        if text.isEmpty { return [(0..<0, false)] }
        var segments: [Segment] = []
        var runStart = 0
        for i in text.indices where predicate(text[i]) {
            if runStart < i { segments.append((runStart..<i, false)) }
            segments.append((i..<i + 1, true))
            runStart = i + 1
        }
        if runStart < text.count { segments.append((runStart..<text.count, false)) }
        return segments
    }
}
