/// BERT's basic tokenization: split off special tokens, normalize, split on whitespace and punctuation.
///
/// Matches transformers 5.x `BertTokenizer` (backed by the Rust `tokenizers` library): special tokens
/// (`neverSplit`) are found in the raw text first, case-sensitively and leftmost-longest, even inside a word
/// (`"a[SEP]b"` → `a`, `[SEP]`, `b`), as its `AddedVocabulary` does; every other span goes through
/// `BertNormalizer` (see `BertNormalizer.swift`) and then `BertPreTokenizer`: split on whitespace (dropped)
/// and around each punctuation character (kept as its own word).
/// Python original: `BasicTokenizer` in
/// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/tokenization_bert.py;
/// Rust: https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/pre_tokenizers/bert.rs.
public struct BasicTokenizer: Sendable {
    /// BERT's special tokens, never split and never normalized.
    public static let defaultSpecialTokens = ["[UNK]", "[SEP]", "[PAD]", "[CLS]", "[MASK]"]

    /// Whether to lower-case (`do_lower_case`); accents are stripped when `stripAccents`, which follows it unless set.
    public let doLowerCase: Bool
    /// Tokens kept whole and untouched wherever they occur in the raw text.
    public let neverSplit: [String]

    private let normalizer: BertNormalizer
    /// `neverSplit` with its scalars, longest first (so the longest match at a position wins).
    private let specials: [(token: String, scalars: [Unicode.Scalar])]

    /// - Parameters:
    ///   - doLowerCase: lower-case and strip accents, as `BertTokenizer(do_lower_case=True)`.
    ///   - stripAccents: `strip_accents`; nil follows `doLowerCase`, as in HF.
    ///   - tokenizeChineseChars: `tokenize_chinese_chars`: put spaces around each CJK ideograph.
    ///   - neverSplit: special tokens; empty strings are ignored.
    public init(doLowerCase: Bool = true, stripAccents: Bool? = nil, tokenizeChineseChars: Bool = true,
                neverSplit: [String] = BasicTokenizer.defaultSpecialTokens) {
        self.doLowerCase = doLowerCase
        self.neverSplit = neverSplit
        self.normalizer = BertNormalizer(stripAccents: stripAccents ?? doLowerCase, lowercase: doLowerCase,
                                         handleChineseChars: tokenizeChineseChars)
        self.specials = neverSplit.filter { !$0.isEmpty }
            .map { (token: $0, scalars: Array($0.unicodeScalars)) }
            .sorted { $0.scalars.count > $1.scalars.count }
    }

    /// Words of `text`, before WordPiece: `"Hello, World!"` → `["hello", ",", "world", "!"]`.
    public func tokenize(_ text: String) -> [String] {
        var words: [String] = []
        forEachWord(in: text) { piece in
            switch piece {
            case .special(let token): words.append(token)
            case .word(let scalars): words.append(String(String.UnicodeScalarView(scalars)))
            }
        }
        return words
    }

    /// One output of basic tokenization.
    enum Piece {
        /// A special token, exactly as given in `neverSplit`.
        case special(String)
        /// A normalized word (non-empty), to be split by WordPiece.
        case word(ArraySlice<Unicode.Scalar>)
    }

    /// Calls `body` with each special token and each word of `text`, in order.
    func forEachWord(in text: String, _ body: (Piece) -> Void) {
        let scalars = text.unicodeScalars
        var segmentStart = scalars.startIndex
        var index = scalars.startIndex
        while index < scalars.endIndex {
            if let (special, end) = matchSpecial(in: scalars, at: index) {
                preTokenize(normalizer.normalize(scalars[segmentStart..<index]), body)
                body(.special(special))
                index = end
                segmentStart = end
            } else {
                scalars.formIndex(after: &index)
            }
        }
        preTokenize(normalizer.normalize(scalars[segmentStart..<scalars.endIndex]), body)
    }

    /// The longest special token starting at `index`, and the index just past it.
    private func matchSpecial(in scalars: String.UnicodeScalarView,
                              at index: String.UnicodeScalarView.Index) -> (String, String.UnicodeScalarView.Index)? {
        let first = scalars[index]
        candidates: for special in specials where special.scalars[0] == first {
            var position = index
            for expected in special.scalars {
                guard position < scalars.endIndex, scalars[position] == expected else { continue candidates }
                scalars.formIndex(after: &position)
            }
            return (special.token, position)
        }
        return nil
    }

    /// `BertPreTokenizer`: split on whitespace (removed), then isolate each punctuation scalar.
    private func preTokenize(_ normalized: [Unicode.Scalar], _ body: (Piece) -> Void) {
        var wordStart = 0
        for i in normalized.indices {
            let scalar = normalized[i]
            if scalar.isBertWhitespace {
                if wordStart < i { body(.word(normalized[wordStart..<i])) }
                wordStart = i + 1
            } else if scalar.isBertPunctuation {
                if wordStart < i { body(.word(normalized[wordStart..<i])) }
                body(.word(normalized[i..<i + 1]))
                wordStart = i + 1
            }
        }
        if wordStart < normalized.count { body(.word(normalized[wordStart..<normalized.count])) }
    }
}
