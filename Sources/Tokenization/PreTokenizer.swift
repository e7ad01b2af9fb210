/// A `tokenizer.json` pre-tokenizer: how normalized text is split into the words the model tokenizes one by one.
/// Each case is the `tokenizers` component of the same name
/// (https://github.com/huggingface/tokenizers/tree/main/tokenizers/src/pre_tokenizers).
indirect enum PreTokenizer: Sendable {
    /// `BertPreTokenizer`: split on whitespace (removed), then isolate each punctuation scalar.
    case bert
    /// `ByteLevel`: optionally prefix a space, GPT-2's split (`use_regex`), then each piece as byte-level scalars.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Metaspace`: spaces become `replacement` (`▁`), which is prepended (`prepend_scheme`) and, when `split`,
    /// starts each new piece (`MergedWithNext`).
    case metaspace(replacement: Unicode.Scalar, prepend: PrependScheme, split: Bool)
    /// `Whitespace`: the matches of `\w+|[^\w\s]+` (whitespace removed).
    case whitespace
    /// `WhitespaceSplit`: split on whitespace, removed.
    case whitespaceSplit
    /// `Split`: split on a pattern (or, when `invert`, on what is not the pattern).
    case split(TextPattern, SplitBehavior, invert: Bool)
    /// `Punctuation`: split on punctuation scalars.
    case punctuation(SplitBehavior)
    /// `Digits`: isolate each digit (`individual_digits`) or each run of digits.
    case digits(individual: Bool)
    /// `Sequence`: each in turn, on the pieces of the previous.
    case sequence([PreTokenizer])

    /// `Metaspace`'s `prepend_scheme`: `first` prepends only to the piece that starts the input text.
    enum PrependScheme: String, Sendable { case always, first, never }

    /// A piece of text on its way to the model. `atOrigin` is true when it starts at offset 0 of the input text
    /// (what `Metaspace` with `prepend_scheme: first` looks at).
    struct Piece: Sendable {
        var scalars: [Unicode.Scalar]
        var atOrigin: Bool
    }

    /// Splits each piece; empty pieces are dropped.
    func split(_ pieces: [Piece]) -> [Piece] {
        switch self {
        case .sequence(let steps):
            return steps.reduce(pieces) { $1.split($0) }
        default:
            var result: [Piece] = []
            result.reserveCapacity(pieces.count * 2)
            for piece in pieces where !piece.scalars.isEmpty { splitOne(piece, into: &result) }
            return result
        }
    }

    private static func append(_ piece: Piece, _ ranges: [Range<Int>], to result: inout [Piece]) {
        for range in ranges where !range.isEmpty {
            result.append(Piece(scalars: Array(piece.scalars[range]), atOrigin: piece.atOrigin && range.lowerBound == 0))
        }
    }

    private func splitOne(_ piece: Piece, into result: inout [Piece]) {
        let text = piece.scalars
        switch self {
        case .bert:
            let words = SplitBehavior.removed.pieces(TextPattern.matches(in: text) { $0.isBertWhitespace })
            for word in words {
                let sub = Piece(scalars: Array(text[word]), atOrigin: piece.atOrigin && word.lowerBound == 0)
                PreTokenizer.append(sub, SplitBehavior.isolated.pieces(
                    TextPattern.matches(in: sub.scalars) { $0.isBertPunctuation }), to: &result)
            }
        case let .byteLevel(addPrefixSpace, useRegex):
            var spaced = piece
            if addPrefixSpace, text.first != " " { spaced.scalars.insert(" ", at: 0) }
            let ranges = useRegex ? ByteLevel.split(spaced.scalars) : [0..<spaced.scalars.count]
            for range in ranges where !range.isEmpty {
                result.append(Piece(scalars: ByteLevel.encode(spaced.scalars[range]),
                                    atOrigin: piece.atOrigin && range.lowerBound == 0))
            }
        case let .metaspace(replacement, prepend, split):
            var replaced = text.map { $0 == " " ? replacement : $0 }
            switch prepend {
            case .always: if replaced.first != replacement { replaced.insert(replacement, at: 0) }
            case .first: if replaced.first != replacement, piece.atOrigin { replaced.insert(replacement, at: 0) }
            case .never: break
            }
            let spaced = Piece(scalars: replaced, atOrigin: piece.atOrigin)
            if split {
                PreTokenizer.append(spaced, SplitBehavior.mergedWithNext.pieces(
                    TextPattern.matches(in: replaced) { $0 == replacement }), to: &result)
            } else {
                result.append(spaced)
            }
        case .whitespace:
            var ranges: [Range<Int>] = []
            var i = 0
            while i < text.count {
                let isWord = text[i].isRegexWordCharacter
                if !isWord, text[i].properties.isWhitespace { i += 1; continue }
                var j = i + 1
                while j < text.count, text[j].isRegexWordCharacter == isWord,
                      isWord || !text[j].properties.isWhitespace { j += 1 }
                ranges.append(i..<j)
                i = j
            }
            PreTokenizer.append(piece, ranges, to: &result)
        case .whitespaceSplit:
            PreTokenizer.append(piece, SplitBehavior.removed.pieces(
                TextPattern.matches(in: text) { $0.properties.isWhitespace }), to: &result)
        case let .split(pattern, behavior, invert):
            var segments = pattern.matches(in: text)
            if invert { segments = segments.map { ($0.range, !$0.isMatch) } }
            PreTokenizer.append(piece, behavior.pieces(segments), to: &result)
        case .punctuation(let behavior):
            PreTokenizer.append(piece, behavior.pieces(TextPattern.matches(in: text) { $0.isBertPunctuation }),
                                to: &result)
        case .digits(let individual):
            let segments = TextPattern.matches(in: text) { $0.isRustNumeric }
            PreTokenizer.append(piece, (individual ? SplitBehavior.isolated : .contiguous).pieces(segments),
                                to: &result)
        case .sequence:
            preconditionFailure("sequences are split in split(_:)")
        }
    }
}

extension Unicode.Scalar {
    /// `\w` of Rust's `regex` crate (Unicode): Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control.
    var isRegexWordCharacter: Bool {
        let v = value
        if v < 0x80 {
            return (0x30...0x39).contains(v) || (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) || v == 0x5F
        }
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Rust `char::is_numeric`: General_Category Nd, Nl or No.
    var isRustNumeric: Bool {
        switch properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber: return true
        default: return false
        }
    }
}
