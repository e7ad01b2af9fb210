/// What the rest of QuantBench needs of a tokenizer: model inputs for a text or a text pair, and the vocabulary
/// facts a model folder is checked against. `BertTokenizer` (the WordPiece fast path) and `PipelineTokenizer`
/// (any supported `tokenizer.json`) conform; `TokenizerLoader.load(folder:)` picks one for a model folder.
public protocol PairTokenizer: Sendable {
    /// `a` or the pair (`a`, `b`) with the special tokens of the model family, truncated `longest_first` to
    /// `maxLength` tokens, unpadded: what HF `tokenizer(a, b, truncation="longest_first", max_length=maxLength)`
    /// returns. `tokenTypeIds` are the post-processor's (all 0 for RoBERTa-style pairs).
    /// - Precondition: `maxLength` leaves room for the special tokens.
    func encodePair(_ a: String, _ b: String?, maxLength: Int) -> Encoding
    /// Ids of `text` without special tokens (HF `encode(text, add_special_tokens=False)`).
    func encode(_ text: String) -> [Int]
    /// The id the model pads with.
    var padId: Int32 { get }
    /// Number of token ids: one more than the largest id this tokenizer can produce (added tokens included).
    var vocabularySize: Int { get }
    /// Tokens of `ids` (HF `convert_ids_to_tokens`); an id the tokenizer does not know gives its unknown token
    /// (an empty string for a model without one, such as byte-level BPE).
    func convertIdsToTokens(_ ids: [Int]) -> [String]
    /// Which files it was read from and how (`tokenizer.json (WordPiece)`, `vocab.txt`, …), for messages.
    var sourceDescription: String { get }
}
