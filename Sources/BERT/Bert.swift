/// `model_type: bert`: HF `BertForSequenceClassification` (`transformers/models/bert/modeling_bert.py`).
///
/// Embeddings word + token type + position (`[vocab | type_vocab | max_position_embeddings, hidden]`), LayerNorm;
/// `num_hidden_layers` blocks `encoder.layer.N`; head `pooler.dense` `[hidden, hidden]` → tanh → `classifier`
/// `[num_labels, hidden]` on position 0. Checkpoint keys carry `bert.` (or not, for a bare `BertModel`).
///
/// Ignored extras: the `embeddings.position_ids` / `embeddings.token_type_ids` buffers older transformers saved.
public enum Bert: EncoderFamily {
    public static let modelTypes = ["bert"]
    public static let prefix = "bert."

    /// `BertConfig()`'s defaults.
    public static let defaults = BertConfiguration()

    public static func configuration(from decoder: Decoder) throws -> BertConfiguration {
        try BertConfiguration(bertKeysFrom: decoder, defaults: defaults)
    }

    public static func layout(_ c: BertConfiguration) -> EncoderLayout {
        bertLike(c, tokenTypes: .fromBatch, projection: nil, headDense: "pooler.dense", headActivation: .tanh,
                 headOutput: "classifier")
    }

    /// The BERT encoder with another head, projection, position or token-type rule: the layout RoBERTa, XLM-R and
    /// ELECTRA share (blocks `encoder.layer.N`, tables `embeddings.{word,position,token_type}_embeddings`).
    static func bertLike(_ c: BertConfiguration, positions: EncoderLayout.Positions = .absolute,
                         tokenTypes: EncoderLayout.TokenTypes, projection: String?, headDense: String,
                         headActivation: EncoderLayout.Activation, headOutput: String) -> EncoderLayout {
        let blocks = (0..<c.numHiddenLayers).map { EncoderLayout.Block.bert("encoder.layer.\($0)") }
        return EncoderLayout(
            tables: standardTables(c), embeddingWidth: c.embeddingWidth,
            embeddingWidthKey: c.embeddingSize == nil ? "hidden_size" : "embedding_size",
            embeddingNorm: "embeddings.LayerNorm", projection: projection, blocks: blocks,
            stateNames: (0..<c.numHiddenLayers).map { "encoder.layer.\($0)" }, headDense: headDense,
            headActivation: headActivation, headOutput: headOutput,
            activation: EncoderLayout.Activation(hiddenAct: c.hiddenAct) ?? .geluErf,
            positions: positions, tokenTypes: tokenTypes, hidden: c.hiddenSize, intermediate: c.intermediateSize,
            labels: c.numLabels)
    }

    /// `embeddings.word_embeddings`, `embeddings.position_embeddings`, `embeddings.token_type_embeddings`.
    static func standardTables(_ c: BertConfiguration) -> [EncoderLayout.Table] {
        [EncoderLayout.Table(name: "embeddings.word_embeddings", rows: c.vocabSize, rowsKey: "vocab_size"),
         EncoderLayout.Table(name: "embeddings.position_embeddings", rows: c.maxPositionEmbeddings,
                             rowsKey: "max_position_embeddings"),
         EncoderLayout.Table(name: "embeddings.token_type_embeddings", rows: c.typeVocabSize, rowsKey: "type_vocab_size")]
    }
}
