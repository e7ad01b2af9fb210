/// `model_type: roberta` and `xlm-roberta`: HF `RobertaForSequenceClassification` and
/// `XLMRobertaForSequenceClassification` (`transformers/models/roberta/modeling_roberta.py`; XLM-R is the same
/// module under the same `roberta.` prefix).
///
/// BERT's encoder with two differences:
/// - position ids count from the padding index (`create_position_ids_from_input_ids`):
///   `p = pad_token_id + cumsum(id ≠ pad_token_id)` on real tokens, `pad_token_id` on padding, so a sequence
///   may be at most `max_position_embeddings − pad_token_id − 1` long;
/// - token types are all 0 (the tokenizers return no `token_type_ids`; `type_vocab_size` is 1);
/// - the head `RobertaClassificationHead` on position 0: `classifier.dense` `[hidden, hidden]` → tanh →
///   `classifier.out_proj` `[num_labels, hidden]`; there is no pooler.
///
/// Ignored extras: the position/token-type id buffers, and `pooler.dense.*`, which checkpoints saved from a
/// `RobertaModel` carry but the classifier never uses (transformers ignored `pooler` keys on load for this class).
public enum Roberta: EncoderFamily {
    public static let modelTypes = ["roberta", "xlm-roberta"]
    public static let prefix = "roberta."

    /// `RobertaConfig()`'s defaults: BERT's with `pad_token_id` 1 and a 50265-token vocabulary.
    public static let defaults = BertConfiguration(vocabSize: 50265, padTokenId: 1, modelType: "roberta")

    public static func configuration(from decoder: Decoder) throws -> BertConfiguration {
        try BertConfiguration(bertKeysFrom: decoder, defaults: defaults)
    }

    public static func positions(_ c: BertConfiguration) -> EncoderLayout.Positions {
        .offsetFromPadding(paddingIdx: c.padTokenId)
    }

    public static func isIgnoredExtra(_ name: String) -> Bool {
        name == "embeddings.position_ids" || name == "embeddings.token_type_ids"
            || name == "pooler.dense.weight" || name == "pooler.dense.bias"
    }

    public static func layout(_ c: BertConfiguration) -> EncoderLayout {
        var layout = Bert.bertLike(c, positions: positions(c), tokenTypes: .zeros, projection: nil,
                                   headDense: "classifier.dense", headActivation: .tanh, headOutput: "classifier.out_proj")
        layout.dropout.beforeHeadDense = true   // RobertaClassificationHead: dropout → dense → tanh → dropout → out_proj
        return layout
    }
}
