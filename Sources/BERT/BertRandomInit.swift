import TensorCore

/// Seeded random weights in HF's layout and initialisation (`BertPreTrainedModel._init_weights`):
/// linear and embedding weights ~ N(0, initializer_range²), biases 0, LayerNorm γ = 1, β = 0.
/// For size and speed work only: a model built this way classifies at chance.
public enum BertRandomInit {
    /// Every tensor of the `…ForSequenceClassification` `config.modelType` names, keyed by HF checkpoint name
    /// (the base prefix, e.g. `bert.`, on the encoder; the classifier head's `classifier*` / `pre_classifier`
    /// unprefixed), deterministic in `seed`. For BERT: the tables, LayerNorms, then linear layers in that order.
    public static func weights(config c: BertConfiguration, seed: UInt64, std: Float = 0.02) -> [(String, Tensor)] {
        var rng = SeededRandom(seed: seed)
        func normal(_ shape: [Int]) -> Tensor {
            Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in rng.normal(std: std) })
        }
        let layout = c.layout
        var out: [(String, Tensor)] = layout.tables.map { t in
            ("\(t.name).weight", normal([t.rows, t.width ?? layout.embeddingWidth]))
        }
        for n in layout.norms {
            out.append(("\(n.name).weight", Tensor(shape: [n.width], data: [Float](repeating: 1, count: n.width))))
            out.append(("\(n.name).bias", Tensor(zeros: [n.width])))
        }
        for l in layout.linears {
            out.append(("\(l.name).weight", normal([l.out, l.in])))
            if l.bias { out.append(("\(l.name).bias", Tensor(zeros: [l.out]))) }
        }
        let family = EncoderFamilies.family(of: c)
        return out.map { name, t in (family.isHeadTensor(name) ? name : family.prefix + name, t) }
    }
}
