/// The model stage of a `tokenizer.json` pipeline: a pre-tokenized word to token ids (`tokenizers`' `Model`).
/// `WordPiece`, `BPE` and `Unigram` conform.
protocol SubwordModel: Sendable {
    /// Appends the ids of `word` (a non-empty pre-tokenizer piece) to `ids`.
    func appendIds(of word: [Unicode.Scalar], to ids: inout [Int32])
    /// The model's vocabulary: `tokens[id]`, ids `0..<count` (`get_vocab_size` is its count).
    var vocabulary: Vocabulary { get }
}

/// `WordPiece` (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/models/wordpiece/mod.rs):
/// greedy longest-match-first, `WordpieceTokenizer`; a word it cannot split is `unk_token`.
struct WordPieceModel: SubwordModel {
    let wordpiece: WordpieceTokenizer
    let unknownId: Int32
    var vocabulary: Vocabulary { wordpiece.vocabulary }

    func appendIds(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        if !wordpiece.appendPieceIds(ofWord: word[...], to: &ids) { ids.append(unknownId) }
    }
}
