/// The added tokens of a `tokenizer.json` (`added_tokens`) and how they are split out of the text before the
/// model sees it, as `tokenizers`' `AddedVocabulary::extract_and_normalize` does
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/tokenizer/added_vocabulary.rs).
///
/// Tokens with `normalized: false` are found in the raw text; the text between them is normalized and then the
/// `normalized: true` tokens (their content normalized too) are found in it. Matching is leftmost-longest and
/// non-overlapping. A `single_word` match that touches a word character (`\w`) on either side is dropped (its text
/// stays, and the search goes on after it); `lstrip` / `rstrip` widen the match over the whitespace before / after
/// it, which then belongs to the token.
struct AddedVocabulary: Sendable {
    struct Token: Sendable {
        var content: [Unicode.Scalar]
        var id: Int32
        var special: Bool
        var normalized: Bool
        var lstrip: Bool
        var rstrip: Bool
        var singleWord: Bool
    }

    /// Tokens in file order, with their ids.
    let tokens: [Token]
    private let raw: Matcher
    private let normalizedMatcher: Matcher

    init(tokens: [Token], normalizer: TextNormalizer?) {
        self.tokens = tokens
        raw = Matcher(tokens: tokens.filter { !$0.normalized })
        normalizedMatcher = Matcher(tokens: tokens.filter(\.normalized).map { token in
            var t = token
            if let normalizer { t.content = normalizer.normalize(token.content) }
            return t
        })
    }

    /// A part of the text: an added token's id, or text for the pre-tokenizer and model.
    enum Part {
        case token(Int32)
        case text(PreTokenizer.Piece)
    }

    /// The text split into added tokens and normalized text (empty texts dropped).
    func extractAndNormalize(_ text: [Unicode.Scalar], normalizer: TextNormalizer?) -> [Part] {
        var parts: [Part] = []
        for segment in raw.split(text) {
            switch segment {
            case .token(let id, _):
                parts.append(.token(id))
            case .text(let range):
                let raw = Array(text[range])
                let normalized = normalizer?.normalize(raw) ?? raw
                let atOrigin = range.lowerBound == 0 && normalizer?.keepsFirstScalar(of: raw) != false
                for inner in normalizedMatcher.split(normalized) {
                    switch inner {
                    case .token(let id, _):
                        parts.append(.token(id))
                    case .text(let r):
                        if !r.isEmpty {
                            parts.append(.text(PreTokenizer.Piece(scalars: Array(normalized[r]),
                                                                  atOrigin: atOrigin && r.lowerBound == 0)))
                        }
                    }
                }
            }
        }
        return parts
    }

    /// Leftmost-longest matching of a set of tokens.
    struct Matcher: Sendable {
        private let tokens: [Token]
        /// Tokens by their first scalar, longest first.
        private let byFirst: [Unicode.Scalar: [Int]]

        init(tokens: [Token]) {
            let kept = tokens.filter { !$0.content.isEmpty }
            self.tokens = kept
            var byFirst: [Unicode.Scalar: [Int]] = [:]
            for (i, token) in kept.enumerated() { byFirst[token.content[0], default: []].append(i) }
            for key in byFirst.keys {
                byFirst[key]!.sort { kept[$0].content.count > kept[$1].content.count }
            }
            self.byFirst = byFirst
        }

        enum Segment {
            case token(Int32, Range<Int>)
            case text(Range<Int>)
        }

        /// The longest token starting at `i`.
        private func match(_ text: [Unicode.Scalar], at i: Int) -> Int? {
            guard let candidates = byFirst[text[i]] else { return nil }
            for c in candidates {
                let content = tokens[c].content
                if i + content.count <= text.count, text[i..<i + content.count].elementsEqual(content) { return c }
            }
            return nil
        }

        func split(_ text: [Unicode.Scalar]) -> [Segment] {
            if tokens.isEmpty || text.isEmpty { return [.text(0..<text.count)] }
            var segments: [Segment] = []
            var startOffset = 0
            var i = 0
            while i < text.count {
                guard let c = match(text, at: i) else { i += 1; continue }
                let token = tokens[c]
                var start = i, stop = i + token.content.count
                i = stop
                if token.singleWord {
                    let spaceBefore = start == 0 || !text[start - 1].isRegexWordCharacter
                    let spaceAfter = stop == text.count || !text[stop].isRegexWordCharacter
                    if !spaceBefore || !spaceAfter { continue }
                }
                if token.lstrip {
                    var s = start
                    while s > 0, text[s - 1].properties.isWhitespace { s -= 1 }
                    start = max(s, startOffset)
                }
                if token.rstrip {
                    while stop < text.count, text[stop].properties.isWhitespace { stop += 1 }
                }
                if startOffset < start { segments.append(.text(startOffset..<start)) }
                segments.append(.token(token.id, start..<stop))
                startOffset = stop
                i = max(i, stop)
            }
            if startOffset < text.count { segments.append(.text(startOffset..<text.count)) }
            return segments
        }
    }
}
