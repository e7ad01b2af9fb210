import BERT
import LayerStats
import Tokenization

/// The `TokenClass` of every row of a batch, from the tokenizer alone (any family):
/// - the special tokens are the ids the tokenizer's own template inserts around empty text
///   (`encodePair("", "")` and `encodePair("", nil)`: `[CLS]`/`[SEP]`, `<s>`/`</s>`, …) plus its padding id;
/// - in each sequence, the first real position holding a special token is `.cls`, every other real special
///   position `.sep`;
/// - a real token whose text (`convertIdsToTokens`) is punctuation by `TokenText.isPunctuation` is
///   `.punctuation`, other real tokens `.other`;
/// - positions with attention mask 0 are `.padding`, whatever their id.
public struct TokenClassifier: Sendable {
    /// Ids counted as special tokens.
    public let specialIds: Set<Int32>
    /// Token texts come from its `convertIdsToTokens`.
    private let tokenizer: any PairTokenizer

    /// The classifier of `tokenizer`'s vocabulary.
    public init(tokenizer: any PairTokenizer) {
        self.tokenizer = tokenizer
        var special = Set(tokenizer.encodePair("", "", maxLength: 64).inputIds)
        special.formUnion(tokenizer.encodePair("", nil, maxLength: 64).inputIds)
        special.insert(tokenizer.padId)
        specialIds = special
    }

    /// Classes of `batch`'s rows `[batch · seq]`, row-major like its tensors.
    public func classes(_ batch: BertBatch) -> [TokenClass] {
        let ids = batch.inputIds
        let texts = tokenizer.convertIdsToTokens(ids.map(Int.init))
        var out = [TokenClass](repeating: .padding, count: ids.count)
        for b in 0..<batch.batch {
            var sawSpecial = false
            for p in 0..<batch.seq {
                let r = b * batch.seq + p
                guard batch.attentionMask[r] != 0 else { continue }
                if specialIds.contains(ids[r]) {
                    out[r] = sawSpecial ? .sep : .cls
                    sawSpecial = true
                } else {
                    out[r] = TokenText.isPunctuation(texts[r]) ? .punctuation : .other
                }
            }
        }
        return out
    }
}

extension ModelFolder {
    /// The token classes of this folder's tokenizer (for `StatsRun`'s outlier statistics).
    public var tokenClassifier: TokenClassifier { TokenClassifier(tokenizer: tokenizer) }
}
