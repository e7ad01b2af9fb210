/// A `tokenizer.json` normalizer: what turns the raw text (outside special tokens) into the text the
/// pre-tokenizer splits. Each case is the `tokenizers` component of the same name
/// (https://github.com/huggingface/tokenizers/tree/main/tokenizers/src/normalizers); all work on Unicode scalars.
indirect enum TextNormalizer: Sendable {
    /// `BertNormalizer` (see `BertNormalizer.swift`).
    case bert(BertNormalizer)
    /// `NFC`, `NFD`, `NFKC`, `NFKD`, with `tokenizers`' Unicode tables (`UnicodeForms`).
    case unicode(UnicodeForms.Form)
    /// `Lowercase`: each scalar's full lower-case mapping, without context (Rust `char::to_lowercase`).
    case lowercase
    /// `StripAccents`: drop combining marks (Mn, Mc, Me of Unicode 9.0), without decomposing first.
    case stripAccents
    /// `Replace`: every match of the pattern becomes `content`.
    case replace(TextPattern, content: [Unicode.Scalar])
    /// `Prepend`: `prefix` in front of a non-empty text.
    case prepend([Unicode.Scalar])
    /// `Strip`: remove leading / trailing whitespace (Unicode `White_Space`).
    case strip(left: Bool, right: Bool)
    /// `Nmt`: drop some controls, map some spaces and separators to `" "` (SentencePiece's NMT rules).
    case nmt
    /// `Precompiled`: SentencePiece's charsmap (`PrecompiledCharsmap`).
    case precompiled(PrecompiledCharsmap)
    /// `Sequence`: each in turn.
    case sequence([TextNormalizer])

    /// Whether the first scalar of `normalize(text)` still comes from the first scalar of `text` (its offset in the
    /// original text stays 0), false when the normalizer removes that scalar: a leading control (`BertNormalizer`,
    /// `Nmt`), a leading mark (`StripAccents`), leading whitespace (`Strip`), a leading match replaced by nothing,
    /// a leading cluster the charsmap maps to nothing. `Metaspace` with `prepend_scheme: first` prepends only to a
    /// piece at offset 0, as `tokenizers` decides through its offset alignments.
    func keepsFirstScalar(of text: [Unicode.Scalar]) -> Bool {
        guard let first = text.first else { return true }
        switch self {
        case .bert(let bert):
            let v = first.value
            if bert.cleanText, v == 0 || v == 0xFFFD || first.isBertControl { return false }
            if bert.stripAccents, first.isBertNonspacingMark { return false }
            return true
        case .unicode, .lowercase, .prepend:
            return true
        case .stripAccents:
            return !first.isTokenizersCombiningMark
        case let .replace(pattern, content):
            guard content.isEmpty, let segment = pattern.matches(in: text).first else { return true }
            return !segment.isMatch
        case let .strip(left, _):
            return !(left && first.properties.isWhitespace)
        case .nmt:
            return TextNormalizer.nmt.normalize([first]).count == 1
        case .precompiled(let charsmap):
            let firstCluster = String(String.UnicodeScalarView(text)).first!
            return !charsmap.normalize(Array(firstCluster.unicodeScalars)).isEmpty
        case .sequence(let normalizers):
            var current = text
            for normalizer in normalizers {
                if !normalizer.keepsFirstScalar(of: current) { return false }
                current = normalizer.normalize(current)
            }
            return true
        }
    }

    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        switch self {
        case .bert(let bert):
            return bert.normalize(text)
        case .unicode(let form):
            return UnicodeForms.normalize(text, form)
        case .lowercase:
            return BertNormalizer.lowercased(text)
        case .stripAccents:
            return text.filter { !$0.isTokenizersCombiningMark }
        case let .replace(pattern, content):
            var result: [Unicode.Scalar] = []
            result.reserveCapacity(text.count)
            for segment in pattern.matches(in: text) {
                if segment.isMatch { result.append(contentsOf: content) } else { result.append(contentsOf: text[segment.range]) }
            }
            return result
        case .prepend(let prefix):
            return text.isEmpty ? text : prefix + text
        case let .strip(left, right):
            var lower = 0, upper = text.count
            if left { while lower < upper, text[lower].properties.isWhitespace { lower += 1 } }
            if right { while upper > lower, text[upper - 1].properties.isWhitespace { upper -= 1 } }
            return Array(text[lower..<upper])
        case .nmt:
            var result: [Unicode.Scalar] = []
            result.reserveCapacity(text.count)
            for scalar in text {
                switch scalar.value {
                case 0x01...0x08, 0x0B, 0x0E...0x1F, 0x7F, 0x8F, 0x9F:
                    continue
                case 0x09, 0x0A, 0x0C, 0x0D, 0x1680, 0x200B...0x200F, 0x2028, 0x2029, 0x2581, 0xFEFF, 0xFFFD:
                    result.append(" ")
                default:
                    result.append(scalar)
                }
            }
            return result
        case .precompiled(let charsmap):
            return charsmap.normalize(text)
        case .sequence(let normalizers):
            return normalizers.reduce(text) { $1.normalize($0) }
        }
    }
}
