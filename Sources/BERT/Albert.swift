/// `model_type: albert`: HF `AlbertForSequenceClassification` (`transformers/models/albert/modeling_albert.py`).
///
/// Factorized embeddings: word + token type + position at width `E = embedding_size`, LayerNorm over E, then
/// `encoder.embedding_hidden_mapping_in` `[hidden, E]` (always present). Shared layers: `num_hidden_groups` groups of
/// `inner_group_num` blocks `encoder.albert_layer_groups.G.albert_layers.J` (`attention.{query,key,value,dense}`,
/// `attention.LayerNorm`, `ffn` `[intermediate, hidden]`, `ffn_output`, `full_layer_layer_norm`); depth
/// `i < num_hidden_layers` runs group `G = ⌊i / (num_hidden_layers / num_hidden_groups)⌋` (all its blocks), so one
/// linear layer runs several times per forward pass. `hidden_act` defaults to `gelu_new`. Head on position 0:
/// `pooler` `[hidden, hidden]` → tanh → `classifier` `[num_labels, hidden]`. Token types are all 0: transformers'
/// `AlbertTokenizer` returns no `token_type_ids` (`model_input_names`), so the model runs on its zero buffer.
///
/// Ignored extras: the position/token-type id buffers.
public enum Albert: EncoderFamily {
    public static let modelTypes = ["albert"]
    public static let prefix = "albert."

    /// `AlbertConfig()`'s defaults (albert-xxlarge's shape).
    public static let defaults = BertConfiguration(
        vocabSize: 30000, hiddenSize: 4096, numHiddenLayers: 12, numAttentionHeads: 64, intermediateSize: 16384,
        hiddenAct: "gelu_new", hiddenDropoutProb: 0, attentionProbsDropoutProb: 0, modelType: "albert",
        embeddingSize: 128, numHiddenGroups: 1, innerGroupNum: 1)

    public static func configuration(from decoder: Decoder) throws -> BertConfiguration {
        try BertConfiguration(bertKeysFrom: decoder, defaults: defaults)
    }

    /// The group depth `i` runs: `int(i / (num_hidden_layers / num_hidden_groups))`, as transformers computes it.
    public static func group(ofDepth i: Int, config c: BertConfiguration) -> Int {
        Int(Double(i) / (Double(c.numHiddenLayers) / Double(c.numHiddenGroups)))
    }

    public static func layout(_ c: BertConfiguration) -> EncoderLayout {
        var blocks: [EncoderLayout.Block] = [], states: [String] = []
        for i in 0..<c.numHiddenLayers {
            let g = group(ofDepth: i, config: c)
            for j in 0..<c.innerGroupNum {
                let p = "encoder.albert_layer_groups.\(g).albert_layers.\(j)"
                blocks.append(EncoderLayout.Block(
                    query: "\(p).attention.query", key: "\(p).attention.key", value: "\(p).attention.value",
                    attentionOutput: "\(p).attention.dense", attentionNorm: "\(p).attention.LayerNorm",
                    intermediate: "\(p).ffn", output: "\(p).ffn_output", outputNorm: "\(p).full_layer_layer_norm"))
                // One name per depth: the shared layer's output at that depth.
                states.append(c.innerGroupNum == 1 ? "encoder.layer.\(i)" : "encoder.layer.\(i).\(j)")
            }
        }
        return EncoderLayout(
            tables: Bert.standardTables(c), embeddingWidth: c.embeddingWidth, embeddingWidthKey: "embedding_size",
            embeddingNorm: "embeddings.LayerNorm", projection: "encoder.embedding_hidden_mapping_in", blocks: blocks,
            stateNames: states, headDense: "pooler", headActivation: .tanh, headOutput: "classifier",
            activation: EncoderLayout.Activation(hiddenAct: c.hiddenAct) ?? .geluTanh, positions: .absolute,
            tokenTypes: .zeros, hidden: c.hiddenSize, intermediate: c.intermediateSize, labels: c.numLabels)
    }
}
