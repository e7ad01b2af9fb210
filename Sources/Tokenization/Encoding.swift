/// Model inputs for one text or text pair with the special tokens of the model family (`[CLS] a [SEP] b [SEP]`,
/// `<s> a </s></s> b </s>`, …), unpadded.
///
/// The three arrays have the same length, `[seq]`. Same fields as the `BatchEncoding` that HF `BertTokenizer`
/// returns (https://github.com/huggingface/transformers/blob/main/src/transformers/tokenization_utils_base.py).
public struct Encoding: Sendable, Equatable {
    /// Token ids, special tokens included.
    public var inputIds: [Int32]
    /// Segment of each token, as the post-processor gives it: for BERT 0 for `[CLS]`, `a` and the first `[SEP]`,
    /// 1 for `b` and the last `[SEP]`; all 0 for RoBERTa.
    public var tokenTypeIds: [Int32]
    /// 1 for every token (no padding here; the model pads and masks with 0).
    public var attentionMask: [Int32]

    public init(inputIds: [Int32], tokenTypeIds: [Int32], attentionMask: [Int32]) {
        precondition(inputIds.count == tokenTypeIds.count && inputIds.count == attentionMask.count,
                     "Encoding arrays must have the same length")
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
        self.attentionMask = attentionMask
    }

    /// Number of tokens, special tokens included.
    public var count: Int { inputIds.count }
}
