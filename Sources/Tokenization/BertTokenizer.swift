import Foundation

/// The BERT WordPiece tokenizer, token for token and id for id the one of Hugging Face transformers 5.x
/// `BertTokenizer(vocab_file, do_lower_case=…, strip_accents=…, tokenize_chinese_chars=…)`
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/tokenization_bert.py,
/// which runs the Rust `tokenizers` pipeline `BertNormalizer` → `BertPreTokenizer` → `WordPiece`
/// → `TemplateProcessing`).
///
/// `tokenize` = `BasicTokenizer` then `WordpieceTokenizer` on each word; special tokens written in the text
/// (`[SEP]`, `[MASK]`, …) map to their own ids. `encodePair` adds `[CLS]`/`[SEP]` and truncates
/// `longest_first` (see `LongestFirstTruncation`).
public struct BertTokenizer: Sendable {
    /// The WordPiece vocabulary (`vocab.txt`).
    public let vocabulary: Vocabulary
    /// Special-token splitting, normalization and whitespace/punctuation splitting.
    public let basicTokenizer: BasicTokenizer
    /// Splitting of each word into vocabulary pieces.
    public let wordpieceTokenizer: WordpieceTokenizer

    /// Id of `[CLS]`, first token of every encoding (101 in bert-base-uncased).
    public let clsId: Int32
    /// Id of `[SEP]`, which ends each segment (102).
    public let sepId: Int32
    /// Id of `[PAD]`, what the model pads with (0).
    public let padId: Int32
    /// Id of `[UNK]`, what a word WordPiece cannot split becomes (100).
    public let unkId: Int32
    /// Id of `[MASK]` (103).
    public let maskId: Int32

    /// Loads `vocab.txt` and checks it holds `[CLS] [SEP] [PAD] [UNK] [MASK]`.
    /// - Parameters:
    ///   - vocabularyURL: the vocabulary file, one token per line.
    ///   - doLowerCase: lower-case and strip accents (`do_lower_case`), true for uncased models.
    ///   - stripAccents: `strip_accents`; nil follows `doLowerCase`, as in HF.
    ///   - tokenizeChineseChars: `tokenize_chinese_chars`.
    /// - Throws: `TokenizationError` naming the file when it is unreadable, empty, or lacks a special token.
    public init(vocabularyURL: URL, doLowerCase: Bool = true, stripAccents: Bool? = nil,
                tokenizeChineseChars: Bool = true) throws {
        let vocabulary = try Vocabulary(contentsOf: vocabularyURL)
        try self.init(vocabulary: vocabulary, doLowerCase: doLowerCase, stripAccents: stripAccents,
                      tokenizeChineseChars: tokenizeChineseChars, source: vocabularyURL.path)
    }

    /// A tokenizer over an in-memory vocabulary (`source` names where it came from, in errors).
    /// - Throws: `TokenizationError.missingSpecialToken` when a special token is not in `vocabulary`.
    public init(vocabulary: Vocabulary, doLowerCase: Bool = true, stripAccents: Bool? = nil,
                tokenizeChineseChars: Bool = true, source: String = "<in-memory vocabulary>") throws {
        func id(_ token: String) throws -> Int32 {
            guard let id = vocabulary.id(of: token) else {
                throw TokenizationError.missingSpecialToken(token: token, path: source)
            }
            return id
        }
        self.vocabulary = vocabulary
        self.basicTokenizer = BasicTokenizer(doLowerCase: doLowerCase, stripAccents: stripAccents,
                                             tokenizeChineseChars: tokenizeChineseChars)
        self.wordpieceTokenizer = WordpieceTokenizer(vocabulary: vocabulary, unknownToken: "[UNK]")
        self.clsId = try id("[CLS]")
        self.sepId = try id("[SEP]")
        self.padId = try id("[PAD]")
        self.unkId = try id("[UNK]")
        self.maskId = try id("[MASK]")
    }

    /// WordPiece tokens of `text`, without `[CLS]`/`[SEP]` (HF `tokenizer.tokenize(text)`).
    public func tokenize(_ text: String) -> [String] {
        encodeIds(text).map { vocabulary.tokens[Int($0)] }
    }

    /// Ids of `tokens`; a token not in the vocabulary maps to `unkId` (HF `convert_tokens_to_ids`).
    public func convertTokensToIds(_ tokens: [String]) -> [Int] {
        tokens.map { Int(vocabulary.id(of: $0) ?? unkId) }
    }

    /// Tokens of `ids` (HF `convert_ids_to_tokens`); an id outside the vocabulary gives `[UNK]`.
    public func convertIdsToTokens(_ ids: [Int]) -> [String] {
        ids.map { id in
            guard id >= 0, id < vocabulary.count else { return "[UNK]" }
            return vocabulary.tokens[id]
        }
    }

    /// Ids of `text` without special tokens (HF `encode(text, add_special_tokens=False)`).
    public func encode(_ text: String) -> [Int] {
        encodeIds(text).map(Int.init)
    }

    /// `[CLS] a [SEP]` or, with `b`, `[CLS] a [SEP] b [SEP]`, truncated `longest_first` to `maxLength` tokens
    /// (HF `tokenizer(a, b, truncation="longest_first", max_length=maxLength)`), not padded.
    /// - Precondition: `maxLength` leaves room for the special tokens (≥ 2 for one text, ≥ 3 for a pair).
    /// An empty `b` is no pair, as in transformers (`if text_pair`).
    public func encodePair(_ a: String, _ b: String?, maxLength: Int = 128) -> Encoding {
        var first = encodeIds(a)
        guard let b, !b.isEmpty else {
            precondition(maxLength >= 2, "maxLength \(maxLength) cannot hold [CLS] and [SEP]")
            first.removeSubrange(LongestFirstTruncation.keptLength(first.count, budget: maxLength - 2)...)
            let ids = [clsId] + first + [sepId]
            return Encoding(inputIds: ids,
                            tokenTypeIds: [Int32](repeating: 0, count: ids.count),
                            attentionMask: [Int32](repeating: 1, count: ids.count))
        }
        precondition(maxLength >= 3, "maxLength \(maxLength) cannot hold [CLS] and two [SEP]")
        var second = encodeIds(b)
        let kept = LongestFirstTruncation.keptLengths(first: first.count, second: second.count,
                                                      budget: maxLength - 3)
        first.removeSubrange(kept.first...)
        second.removeSubrange(kept.second...)
        var ids: [Int32] = []
        ids.reserveCapacity(first.count + second.count + 3)
        ids.append(clsId); ids.append(contentsOf: first); ids.append(sepId)
        ids.append(contentsOf: second); ids.append(sepId)
        var types = [Int32](repeating: 0, count: first.count + 2)
        types.append(contentsOf: repeatElement(1, count: second.count + 1))
        return Encoding(inputIds: ids, tokenTypeIds: types,
                        attentionMask: [Int32](repeating: 1, count: ids.count))
    }

    /// The ids of `text`: special tokens as themselves, every other word through WordPiece.
    private func encodeIds(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        ids.reserveCapacity(text.utf8.count / 3 + 4)
        basicTokenizer.forEachWord(in: text) { piece in
            switch piece {
            case .special(let token):
                ids.append(vocabulary.id(of: token) ?? unkId)
            case .word(let word):
                if !wordpieceTokenizer.appendPieceIds(ofWord: word, to: &ids) { ids.append(unkId) }
            }
        }
        return ids
    }
}
