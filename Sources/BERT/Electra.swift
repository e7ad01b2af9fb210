/// `model_type: electra`: HF `ElectraForSequenceClassification` (`transformers/models/electra/modeling_electra.py`).
///
/// BERT's embeddings at width `E = embedding_size` (`[vocab | max_position_embeddings | type_vocab, E]`, LayerNorm
/// over E), then `embeddings_project` `[hidden, E]` when `E ≠ hidden_size`; BERT's blocks `encoder.layer.N`; the
/// head `ElectraClassificationHead` on position 0: `classifier.dense` `[hidden, hidden]` → GELU (exact erf, fixed
/// by transformers whatever `hidden_act` says) → `classifier.out_proj` `[num_labels, hidden]`. No pooler.
///
/// Ignored extras: the position/token-type id buffers. (A discriminator or generator checkpoint's prediction
/// heads are refused: they are not a sequence classifier.)
public enum Electra: EncoderFamily {
    public static let modelTypes = ["electra"]
    public static let prefix = "electra."

    /// `ElectraConfig()`'s defaults (the small discriminator's shape).
    public static let defaults = BertConfiguration(vocabSize: 30522, hiddenSize: 256, numHiddenLayers: 12,
                                                   numAttentionHeads: 4, intermediateSize: 1024,
                                                   modelType: "electra", embeddingSize: 128)

    public static func configuration(from decoder: Decoder) throws -> BertConfiguration {
        try BertConfiguration(bertKeysFrom: decoder, defaults: defaults)
    }

    public static func layout(_ c: BertConfiguration) -> EncoderLayout {
        // ElectraModel builds `embeddings_project` only when embedding_size != hidden_size.
        var layout = Bert.bertLike(c, tokenTypes: .fromBatch,
                                   projection: c.embeddingWidth == c.hiddenSize ? nil : "embeddings_project",
                                   headDense: "classifier.dense", headActivation: .geluErf, headOutput: "classifier.out_proj")
        layout.dropout.beforeHeadDense = true   // ElectraClassificationHead: dropout → dense → gelu → dropout → out_proj
        return layout
    }
}
