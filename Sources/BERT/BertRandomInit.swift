import TensorCore

/// Seeded random weights in HF's layout and initialisation (`BertPreTrainedModel._init_weights`):
/// linear and embedding weights ~ N(0, initializer_range²), biases 0, LayerNorm γ = 1, β = 0.
/// For size and speed work only: a model built this way classifies at chance.
public enum BertRandomInit {
    /// Every tensor of a `BertForSequenceClassification` with `config`, keyed by HF checkpoint name
    /// (`bert.`-prefixed, `classifier.*` unprefixed), deterministic in `seed`.
    public static func weights(config c: BertConfiguration, seed: UInt64, std: Float = 0.02) -> [(String, Tensor)] {
        var rng = SeededRandom(seed: seed)
        func normal(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.normal(std: std) })
        }
        let H = c.hiddenSize
        var out: [(String, Tensor)] = [
            ("embeddings.word_embeddings.weight", normal([c.vocabSize, H])),
            ("embeddings.position_embeddings.weight", normal([c.maxPositionEmbeddings, H])),
            ("embeddings.token_type_embeddings.weight", normal([c.typeVocabSize, H])),
        ]
        for n in BertWeightNames.layerNorms(layers: c.numHiddenLayers) {
            out.append(("\(n).weight", Tensor(shape: [H], data: [Float](repeating: 1, count: H))))
            out.append(("\(n).bias", Tensor(zeros: [H])))
        }
        for n in BertWeightNames.linearLayers(layers: c.numHiddenLayers) {
            let shape = BertWeightNames.linearShape(n, config: c)
            out.append(("\(n).weight", normal(shape)))
            out.append(("\(n).bias", Tensor(zeros: [shape[0]])))
        }
        return out.map { name, t in (name == "classifier.weight" || name == "classifier.bias" ? name : "bert.\(name)", t) }
    }
}
