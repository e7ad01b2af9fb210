/// WordPiece: greedy longest-match-first split of a word into vocabulary pieces, `##` marking continuations.
///
/// `"unaffable"` → `["un", "##aff", "##able"]`. A word longer than `maxInputCharactersPerWord` Unicode scalars,
/// or with any position where no piece matches, becomes the single `unknownToken`.
/// Mirrors `WordpieceTokenizer` in
/// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/tokenization_bert.py
/// and the `WordPiece` model of https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/models/wordpiece/mod.rs.
public struct WordpieceTokenizer: Sendable {
    /// The vocabulary pieces are looked up in.
    public let vocabulary: Vocabulary
    /// What a word that cannot be split becomes (`[UNK]`).
    public let unknownToken: String
    /// Longer words (in Unicode scalars) become `unknownToken` without being split (HF: 100).
    public let maxInputCharactersPerWord: Int
    /// Prefix of a piece that continues a word in BERT's vocabularies.
    public static let continuingSubwordPrefix = "##"
    /// Prefix of a piece that continues a word in this vocabulary (`continuing_subword_prefix`, default `##`).
    public let prefix: String

    private let prefixScalars: [Unicode.Scalar]

    /// Longest piece in the vocabulary, in scalars, `##` not counted: no longer candidate can match.
    private let longestPiece: Int

    public init(vocabulary: Vocabulary, unknownToken: String = "[UNK]", maxInputCharactersPerWord: Int = 100,
                continuingSubwordPrefix: String = WordpieceTokenizer.continuingSubwordPrefix) {
        self.vocabulary = vocabulary
        self.unknownToken = unknownToken
        self.maxInputCharactersPerWord = maxInputCharactersPerWord
        self.prefix = continuingSubwordPrefix
        self.prefixScalars = Array(continuingSubwordPrefix.unicodeScalars)
        var longest = 0
        for token in vocabulary.tokens {
            var length = token.unicodeScalars.count
            if !prefixScalars.isEmpty, token.unicodeScalars.starts(with: prefixScalars) { length -= prefixScalars.count }
            longest = max(longest, length)
        }
        self.longestPiece = longest
    }

    /// Splits `text` on whitespace, then each word into pieces (HF `WordpieceTokenizer.tokenize`).
    /// Expects text already through `BasicTokenizer`.
    public func tokenize(_ text: String) -> [String] {
        var tokens: [String] = []
        var ids: [Int32] = []
        var word: [Unicode.Scalar] = []
        func flush() {
            guard !word.isEmpty else { return }
            ids.removeAll(keepingCapacity: true)
            if appendPieceIds(ofWord: word[...], to: &ids) {
                tokens.append(contentsOf: ids.map { vocabulary.tokens[Int($0)] })
            } else {
                tokens.append(unknownToken)
            }
            word.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if scalar.isBertWhitespace { flush() } else { word.append(scalar) }
        }
        flush()
        return tokens
    }

    /// Appends the ids of the pieces of `word` to `ids` and returns `true`; when `word` cannot be split (or is
    /// too long), leaves `ids` as it was and returns `false`, and the caller emits the unknown token.
    func appendPieceIds(ofWord word: ArraySlice<Unicode.Scalar>, to ids: inout [Int32]) -> Bool {
        let count = word.count
        if count > maxInputCharactersPerWord { return false }
        let whole = String(String.UnicodeScalarView(word))
        if let id = vocabulary.id(of: whole) {     // most words are whole vocabulary entries
            ids.append(id)
            return true
        }
        let base = word.startIndex
        let rollback = ids.count
        var start = 0
        var candidate = String.UnicodeScalarView()
        while start < count {
            var end = min(count, start + longestPiece)
            var match: Int32?
            while start < end {
                candidate.removeAll(keepingCapacity: true)
                if start > 0 { candidate.append(contentsOf: prefixScalars) }
                candidate.append(contentsOf: word[(base + start)..<(base + end)])
                if let id = vocabulary.id(of: String(candidate)) {
                    match = id
                    break
                }
                end -= 1
            }
            guard let id = match else {
                ids.removeSubrange(rollback...)
                return false
            }
            ids.append(id)
            start = end
        }
        return true
    }
}
