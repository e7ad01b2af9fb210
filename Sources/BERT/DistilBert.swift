/// `model_type: distilbert`: HF `DistilBertForSequenceClassification`
/// (`transformers/models/distilbert/modeling_distilbert.py`).
///
/// Embeddings word + position (no token types) `[vocab_size | max_position_embeddings, dim]`, LayerNorm (ε fixed at
/// 1e-12); `n_layers` blocks `transformer.layer.N` (`attention.{q,k,v,out}_lin`, `sa_layer_norm`, `ffn.lin1`
/// `[hidden_dim, dim]`, `ffn.lin2`, `output_layer_norm`) with `activation`; head on position 0: `pre_classifier`
/// `[dim, dim]` → ReLU → `classifier` `[num_labels, dim]`. Position ids are plain `0..<seq`. In training mode
/// (`EncoderLayout.Dropout`) there is no dropout after `out_lin`, and `seq_classif_dropout` is the head's.
///
/// The configuration uses DistilBERT's own key names (`dim`, `n_layers`, `n_heads`, `hidden_dim`, `activation`,
/// `dropout`, `attention_dropout`, `seq_classif_dropout`), mapped onto `BertConfiguration`'s fields;
/// `sinusoidal_pos_embds` needs nothing here (transformers writes the sinusoids into the saved position table).
///
/// Ignored extras: the `embeddings.position_ids` buffer.
public enum DistilBert: EncoderFamily {
    public static let modelTypes = ["distilbert"]
    public static let prefix = "distilbert."

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", dim, nLayers = "n_layers", nHeads = "n_heads", hiddenDim = "hidden_dim"
        case activation, maxPositionEmbeddings = "max_position_embeddings", padTokenId = "pad_token_id"
        case dropout, attentionDropout = "attention_dropout", seqClassifDropout = "seq_classif_dropout"
        case numLabels = "num_labels", id2label, architectures, modelType = "model_type"
    }

    /// BERT key → DistilBERT key, for messages.
    static let keys = ["hidden_size": "dim", "num_hidden_layers": "n_layers", "num_attention_heads": "n_heads",
                       "intermediate_size": "hidden_dim", "hidden_act": "activation",
                       "hidden_dropout_prob": "dropout", "attention_probs_dropout_prob": "attention_dropout",
                       "classifier_dropout": "seq_classif_dropout"]

    public static func configKey(_ bertKey: String) -> String { keys[bertKey] ?? bertKey }

    public static func isIgnoredExtra(_ name: String) -> Bool { name == "embeddings.position_ids" }

    /// `DistilBertConfig()`'s defaults for missing keys.
    public static func configuration(from decoder: Decoder) throws -> BertConfiguration {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        return BertConfiguration(
            vocabSize: try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? 30522,
            hiddenSize: try c.decodeIfPresent(Int.self, forKey: .dim) ?? 768,
            numHiddenLayers: try c.decodeIfPresent(Int.self, forKey: .nLayers) ?? 6,
            numAttentionHeads: try c.decodeIfPresent(Int.self, forKey: .nHeads) ?? 12,
            intermediateSize: try c.decodeIfPresent(Int.self, forKey: .hiddenDim) ?? 3072,
            hiddenAct: try c.decodeIfPresent(String.self, forKey: .activation) ?? "gelu",
            maxPositionEmbeddings: try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? 512,
            typeVocabSize: 0, layerNormEps: 1e-12,
            padTokenId: try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? 0,
            numLabels: try c.decodeIfPresent(Int.self, forKey: .numLabels) ?? id2label?.count ?? 2,
            id2label: id2label, architectures: try c.decodeIfPresent([String].self, forKey: .architectures),
            hiddenDropoutProb: try c.decodeIfPresent(Float.self, forKey: .dropout) ?? 0.1,
            attentionProbsDropoutProb: try c.decodeIfPresent(Float.self, forKey: .attentionDropout) ?? 0.1,
            classifierDropout: try c.decodeIfPresent(Float.self, forKey: .seqClassifDropout) ?? 0.2,
            modelType: "distilbert")
    }

    /// Writes `config` with DistilBERT's key names (the inverse of `configuration(from:)`).
    static func encode(_ config: BertConfiguration, to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode("distilbert", forKey: .modelType)
        try c.encode(config.vocabSize, forKey: .vocabSize); try c.encode(config.hiddenSize, forKey: .dim)
        try c.encode(config.numHiddenLayers, forKey: .nLayers); try c.encode(config.numAttentionHeads, forKey: .nHeads)
        try c.encode(config.intermediateSize, forKey: .hiddenDim); try c.encode(config.hiddenAct, forKey: .activation)
        try c.encode(config.maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(config.padTokenId, forKey: .padTokenId); try c.encode(config.numLabels, forKey: .numLabels)
        try c.encodeIfPresent(config.id2label, forKey: .id2label)
        try c.encodeIfPresent(config.architectures, forKey: .architectures)
        try c.encode(config.hiddenDropoutProb, forKey: .dropout)
        try c.encode(config.attentionProbsDropoutProb, forKey: .attentionDropout)
        try c.encodeIfPresent(config.classifierDropout, forKey: .seqClassifDropout)
    }

    public static func layout(_ c: BertConfiguration) -> EncoderLayout {
        let blocks = (0..<c.numHiddenLayers).map { l -> EncoderLayout.Block in
            let p = "transformer.layer.\(l)"
            return EncoderLayout.Block(query: "\(p).attention.q_lin", key: "\(p).attention.k_lin",
                                       value: "\(p).attention.v_lin", attentionOutput: "\(p).attention.out_lin",
                                       attentionNorm: "\(p).sa_layer_norm", intermediate: "\(p).ffn.lin1",
                                       output: "\(p).ffn.lin2", outputNorm: "\(p).output_layer_norm")
        }
        var layout = EncoderLayout(
            tables: [EncoderLayout.Table(name: "embeddings.word_embeddings", rows: c.vocabSize, rowsKey: "vocab_size"),
                     EncoderLayout.Table(name: "embeddings.position_embeddings", rows: c.maxPositionEmbeddings,
                                         rowsKey: "max_position_embeddings")],
            embeddingWidth: c.hiddenSize, embeddingWidthKey: "dim", embeddingNorm: "embeddings.LayerNorm",
            projection: nil, blocks: blocks, stateNames: (0..<c.numHiddenLayers).map { "transformer.layer.\($0)" },
            headDense: "pre_classifier", headActivation: .relu, headOutput: "classifier",
            activation: EncoderLayout.Activation(hiddenAct: c.hiddenAct) ?? .geluErf, positions: .absolute,
            tokenTypes: .none, hidden: c.hiddenSize, intermediate: c.intermediateSize, labels: c.numLabels,
            key: configKey)
        layout.dropout.afterAttentionOutput = false   // TransformerBlock: sa_layer_norm(attention + x), no dropout
        return layout
    }
}
