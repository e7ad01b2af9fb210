import BERT
import Quantization
import TensorCore

/// `BertForSequenceClassification` with a backward pass: the model `qbench finetune` trains.
///
/// Same architecture and numerics as `BertModel` (HF `modeling_bert.py`), plus training-mode dropout (HF's
/// `hidden_dropout_prob` after the embeddings, the attention output and the FFN output and on the pooled vector;
/// `attention_probs_dropout_prob` on the attention probabilities). Parameters are `Parameter`s in HF
/// `state_dict` order, named without the `bert.` prefix. Generic over the scalar so gradient checks can run in
/// float64; training uses `Float`.
///
/// Usage: `let pass = try model.forward(batch, mode: .train(seed: s))`, then
/// `model.backward(pass, labels: y)` accumulates `∂loss/∂θ` into every `Parameter.grad` and returns the loss.
public final class TrainableBert<T: TrainingScalar> {
    /// The HF configuration (sizes, eps, labels).
    public let config: BertConfiguration
    /// Dropout after embeddings, attention output, FFN output and on the pooled vector (HF `hidden_dropout_prob`).
    public var hiddenDropout: Double
    /// Dropout on attention probabilities (HF `attention_probs_dropout_prob`).
    public var attentionDropout: Double

    let wordEmbeddings: Parameter<T>
    let positionEmbeddings: Parameter<T>
    let tokenTypeEmbeddings: Parameter<T>
    let embeddingNorm: LayerNormUnit<T>
    let layers: [EncoderLayer]
    let pooler: LinearUnit<T>
    let classifier: LinearUnit<T>

    /// Every parameter in HF `state_dict` order.
    public let parameters: [Parameter<T>]
    /// Quantization-aware training: the scheme the embedding tables are fake-quantized with (nil = FP32).
    public internal(set) var embeddingQuantization: QuantScheme?

    struct EncoderLayer {
        let query, key, value, attentionOutput: LinearUnit<T>
        let attentionNorm: LayerNormUnit<T>
        let intermediate, output: LinearUnit<T>
        let outputNorm: LayerNormUnit<T>
        var linears: [LinearUnit<T>] { [query, key, value, attentionOutput, intermediate, output] }
    }

    /// Builds the model from FP32 tensors keyed by canonical HF name (`BertWeightNames.sanitize` form).
    /// - Throws: `TrainingError.badModel` for a missing tensor, a wrong shape or an activation other than "gelu".
    public init(config: BertConfiguration, tensors: [String: Tensor], hiddenDropout: Double = 0.1,
                attentionDropout: Double = 0.1, name: String = "model") throws {
        guard config.hiddenAct == "gelu" else {
            throw TrainingError.badModel(path: name, reason: "training supports hidden_act \"gelu\" (exact), found \"\(config.hiddenAct)\"")
        }
        self.config = config
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        var all: [Parameter<T>] = []
        func param(_ n: String, _ shape: [Int], decays: Bool, sparse: Bool = false) throws -> Parameter<T> {
            guard let t = tensors[n] else { throw TrainingError.badModel(path: name, reason: "missing tensor \(n)") }
            guard t.shape == shape else {
                throw TrainingError.badModel(path: name, reason: "tensor \(n) has shape \(t.shape), expected \(shape)")
            }
            let p = Parameter<T>(name: n, shape: shape, value: t.data.map { T($0) }, decays: decays, sparseRows: sparse)
            all.append(p)
            return p
        }
        let c = config, H = c.hiddenSize
        let eps = T(c.layerNormEps)
        func linear(_ n: String) throws -> LinearUnit<T> {
            let shape = BertWeightNames.linearShape(n, config: c)
            let w = try param("\(n).weight", shape, decays: true)
            let b = try param("\(n).bias", [shape[0]], decays: false)
            return LinearUnit(name: n, weight: w, bias: b)
        }
        func norm(_ n: String) throws -> LayerNormUnit<T> {
            let g = try param("\(n).weight", [H], decays: false)
            let b = try param("\(n).bias", [H], decays: false)
            return LayerNormUnit(name: n, gamma: g, beta: b, eps: eps)
        }
        wordEmbeddings = try param("embeddings.word_embeddings.weight", [c.vocabSize, H], decays: true, sparse: true)
        positionEmbeddings = try param("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, H],
                                       decays: true, sparse: true)
        tokenTypeEmbeddings = try param("embeddings.token_type_embeddings.weight", [c.typeVocabSize, H],
                                        decays: true, sparse: true)
        embeddingNorm = try norm("embeddings.LayerNorm")
        var layers: [EncoderLayer] = []
        for l in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(l)"
            layers.append(EncoderLayer(
                query: try linear("\(p).attention.self.query"), key: try linear("\(p).attention.self.key"),
                value: try linear("\(p).attention.self.value"), attentionOutput: try linear("\(p).attention.output.dense"),
                attentionNorm: try norm("\(p).attention.output.LayerNorm"),
                intermediate: try linear("\(p).intermediate.dense"), output: try linear("\(p).output.dense"),
                outputNorm: try norm("\(p).output.LayerNorm")))
        }
        self.layers = layers
        pooler = try linear("pooler.dense")
        classifier = try linear("classifier")
        parameters = all
    }

    /// The trainable copy of an FP32 engine model (every linear layer must be a `DenseLinear`).
    public convenience init(_ model: BertModel, hiddenDropout: Double = 0.1, attentionDropout: Double = 0.1) throws {
        var tensors: [String: Tensor] = [
            "embeddings.word_embeddings.weight": model.wordEmbeddings,
            "embeddings.position_embeddings.weight": model.positionEmbeddings,
            "embeddings.token_type_embeddings.weight": model.tokenTypeEmbeddings,
        ]
        for (n, ln) in model.layerNorms {
            tensors["\(n).weight"] = Tensor(shape: [ln.gamma.count], data: ln.gamma)
            tensors["\(n).bias"] = Tensor(shape: [ln.beta.count], data: ln.beta)
        }
        for n in model.linearNames {
            guard let d = model.linears[n] as? DenseLinear else {
                throw TrainingError.badModel(path: model.source, reason: "layer \(n) is quantized; train an FP32 model")
            }
            tensors["\(n).weight"] = d.weight
            tensors["\(n).bias"] = Tensor(shape: [d.outFeatures], data: d.bias ?? [Float](repeating: 0, count: d.outFeatures))
        }
        try self.init(config: model.config, tensors: tensors, hiddenDropout: hiddenDropout,
                      attentionDropout: attentionDropout, name: model.source)
    }

    /// The parameter called `name` (canonical HF name), if any.
    public func parameter(named name: String) -> Parameter<T>? {
        parameters.first { $0.name == name }
    }

    /// Every linear layer by HF name, in execution order.
    public var linearUnits: [LinearUnit<T>] { layers.flatMap(\.linears) + [pooler, classifier] }

    /// Current values as FP32 tensors keyed by canonical name.
    public func tensors() -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for p in parameters { out[p.name] = Tensor(shape: p.shape, data: p.value.map { Float($0) }) }
        return out
    }

    /// An FP32 engine model with the current values (for evaluation with `Evaluator` and quantization).
    public func engineModel(source: String = "training") -> BertModel {
        let t = tensors()
        var norms: [String: LayerNormParams] = [:]
        for n in BertWeightNames.layerNorms(layers: config.numHiddenLayers) {
            norms[n] = LayerNormParams(gamma: t["\(n).weight"]!.data, beta: t["\(n).bias"]!.data)
        }
        var linears: [String: any LinearOp] = [:]
        for n in BertWeightNames.linearLayers(layers: config.numHiddenLayers) {
            linears[n] = DenseLinear(weight: t["\(n).weight"]!, bias: t["\(n).bias"]!.data)
        }
        return BertModel(config: config, source: source, wordEmbeddings: t["embeddings.word_embeddings.weight"]!,
                         positionEmbeddings: t["embeddings.position_embeddings.weight"]!,
                         tokenTypeEmbeddings: t["embeddings.token_type_embeddings.weight"]!,
                         layerNorms: norms, linears: linears)
    }

    /// Sets every gradient to zero.
    public func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    /// Switches to quantization-aware training under `scheme`: every linear layer the scheme selects gets a
    /// `FakeQuantization` (straight-through estimator), and embedding tables are fake-quantized when the scheme
    /// quantizes them. Training steps then learn static activation ranges (`calibrations`).
    /// - Throws: `QuantizationError` for an invalid scheme.
    public func attachQuantization(_ scheme: ModelScheme) throws {
        try scheme.validate()
        func check(_ p: Parameter<T>, _ s: QuantScheme) throws {   // the scheme must fit the tensor's shape
            _ = try WeightQuantizer.roundTrip(Tensor(zeros: p.shape), scheme: s, name: p.name)
        }
        var units: [(LinearUnit<T>, FakeQuantization?)] = []
        for unit in linearUnits {
            let ls = scheme.layerScheme(for: unit.name)
            if let ls { try check(unit.weight, ls.weight) }
            units.append((unit, try ls.map { try FakeQuantization(name: unit.name, scheme: $0) }))
        }
        if let es = scheme.embeddingScheme {
            for p in [wordEmbeddings, positionEmbeddings, tokenTypeEmbeddings] { try check(p, es) }
        }
        for (unit, fq) in units { unit.fakeQuantization = fq }
        embeddingQuantization = scheme.embeddingScheme
    }

    /// Static activation (and output) ranges learned by quantization-aware training, by layer name — the
    /// calibration a static scheme's integer model runs with. Empty for FP32 training and dynamic schemes.
    public func calibrations() -> [String: Calibration] {
        var out: [String: Calibration] = [:]
        for unit in linearUnits {
            if let c = unit.fakeQuantization?.calibration { out[unit.name] = c }
        }
        return out
    }

    /// An embedding table after the scheme's weight quantizer (`WeightQuantizer.roundTrip`, as inference does).
    func fakeQuantizedTable(_ p: Parameter<T>, scheme: QuantScheme) -> [T] {
        let t = Tensor(shape: p.shape, data: T.self == Float.self ? p.value as! [Float] : p.value.map { Float($0) })
        let q = try! WeightQuantizer.roundTrip(t, scheme: scheme, name: p.name)
        return T.self == Float.self ? q.data as! [T] : q.data.map { T($0) }
    }
}
