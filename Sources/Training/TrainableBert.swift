import BERT
import Quantization
import TensorCore

/// An encoder sequence classifier with a backward pass: the model `qbench finetune` and `qbench qat` train.
///
/// The families whose `EncoderLayout` it runs: BERT, RoBERTa, XLM-R and DistilBERT (`modelTypes`), with the
/// engine's architecture and numerics (`BertModel`, HF `modeling_bert.py`, `modeling_roberta.py`,
/// `modeling_distilbert.py`) — the family's tables, position ids and token types, the blocks by the layout's names,
/// and its head `headOutput(dropout(act(headDense(dropout?(x[:, 0])))))` — plus training-mode dropout at the
/// layout's sites (`EncoderLayout.Dropout`): `hiddenDropout` after the embeddings, the attention output (where the
/// family has it) and the FFN output; `attentionDropout` on the attention probabilities; `classifierDropout` in the
/// head. One backward pass serves every family: blocks are the same, tables and heads are data. Parameters are
/// `Parameter`s in HF `state_dict` order, named without the base prefix (`bert.`, `roberta.`, `distilbert.`).
/// Generic over the scalar so gradient checks can run in float64; training uses `Float`.
///
/// Usage: `let pass = try model.forward(batch, mode: .train(seed: s))`, then
/// `model.backward(pass, labels: y)` accumulates `∂loss/∂θ` into every `Parameter.grad` and returns the loss.
public final class TrainableBert<T: TrainingScalar> {
    /// The `model_type`s training supports; the others (ELECTRA, ALBERT, DeBERTa-v2) are refused
    /// (`TrainingError.familyNotTrainable`): their embedding projection, shared layers or relative attention have
    /// no backward pass yet.
    public static var modelTypes: [String] { ["bert", "distilbert", "roberta", "xlm-roberta"] }

    /// The HF configuration (sizes, eps, labels).
    public let config: BertConfiguration
    /// The family's tensors and execution order (`config.layout`).
    public let layout: EncoderLayout
    /// Dropout after embeddings, attention output (where the family has it) and FFN output (HF
    /// `hidden_dropout_prob`, DistilBERT `dropout`).
    public var hiddenDropout: Double
    /// Dropout on attention probabilities (HF `attention_probs_dropout_prob`, DistilBERT `attention_dropout`).
    public var attentionDropout: Double
    /// Dropout in the head (HF `classifier_dropout`, DistilBERT `seq_classif_dropout`); nil = `hiddenDropout`.
    public var classifierDropout: Double?

    /// The embedding tables in `layout.tables` order: word, position, then token type where the family has one.
    let tables: [Parameter<T>]
    let embeddingNorm: LayerNormUnit<T>
    let layers: [EncoderLayer]
    let headDense: LinearUnit<T>
    let headOutput: LinearUnit<T>

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

    /// Why `layout` cannot be trained, or nil: a family outside `modelTypes`, or an activation without a backward
    /// pass (`ActivationGrad.supports`).
    public static func unsupported(_ config: BertConfiguration) -> String? {
        guard modelTypes.contains(config.modelType) else {
            return "training is not supported for model_type \(config.modelType) yet"
        }
        let l = config.layout
        guard ActivationGrad.supports(l.activation), ActivationGrad.supports(l.headActivation) else {
            return "training supports \(config.modelType == "distilbert" ? "activation" : "hidden_act") \"gelu\" "
                + "(exact) or \"relu\", found \"\(config.hiddenAct)\""
        }
        return nil
    }

    /// Builds the model from FP32 tensors keyed by canonical HF name (the family's `sanitize` form: no base
    /// prefix). `classifierDropout` nil uses `hiddenDropout` in the head.
    /// - Throws: `TrainingError.familyNotTrainable` for a family outside `modelTypes`; `TrainingError.badModel` for a
    ///   missing tensor, a wrong shape or an activation without a backward pass.
    public init(config: BertConfiguration, tensors: [String: Tensor], hiddenDropout: Double = 0.1,
                attentionDropout: Double = 0.1, classifierDropout: Double? = nil, name: String = "model") throws {
        if !Self.modelTypes.contains(config.modelType) {
            throw TrainingError.familyNotTrainable(path: name, modelType: config.modelType)
        }
        if let reason = Self.unsupported(config) { throw TrainingError.badModel(path: name, reason: reason) }
        let layout = config.layout
        self.config = config
        self.layout = layout
        self.hiddenDropout = hiddenDropout
        self.attentionDropout = attentionDropout
        self.classifierDropout = classifierDropout
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
        let shapes = Dictionary(uniqueKeysWithValues: layout.linears.map { ($0.name, [$0.out, $0.in]) })
        let widths = Dictionary(uniqueKeysWithValues: layout.norms.map { ($0.name, $0.width) })
        let eps = T(config.layerNormEps)
        func linear(_ n: String) throws -> LinearUnit<T> {
            let shape = shapes[n]!
            let w = try param("\(n).weight", shape, decays: true)
            let b = try param("\(n).bias", [shape[0]], decays: false)
            return LinearUnit(name: n, weight: w, bias: b)
        }
        func norm(_ n: String) throws -> LayerNormUnit<T> {
            let g = try param("\(n).weight", [widths[n]!], decays: false)
            let b = try param("\(n).bias", [widths[n]!], decays: false)
            return LayerNormUnit(name: n, gamma: g, beta: b, eps: eps)
        }
        tables = try layout.tables.map { t in
            try param("\(t.name).weight", [t.rows, t.width ?? layout.embeddingWidth], decays: true, sparse: true)
        }
        embeddingNorm = try norm(layout.embeddingNorm)
        layers = try layout.blocks.map { b in
            EncoderLayer(query: try linear(b.query), key: try linear(b.key), value: try linear(b.value),
                         attentionOutput: try linear(b.attentionOutput), attentionNorm: try norm(b.attentionNorm),
                         intermediate: try linear(b.intermediate), output: try linear(b.output),
                         outputNorm: try norm(b.outputNorm))
        }
        headDense = try linear(layout.headDense)
        headOutput = try linear(layout.headOutput)
        parameters = all
    }

    /// The trainable copy of an FP32 engine model (every linear layer must be a `DenseLinear`).
    public convenience init(_ model: BertModel, hiddenDropout: Double = 0.1, attentionDropout: Double = 0.1,
                            classifierDropout: Double? = nil) throws {
        var tensors: [String: Tensor] = [:]
        for (n, t) in model.embeddingTables { tensors["\(n).weight"] = t }
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
                      attentionDropout: attentionDropout, classifierDropout: classifierDropout, name: model.source)
    }

    /// The parameter called `name` (canonical HF name), if any.
    public func parameter(named name: String) -> Parameter<T>? {
        parameters.first { $0.name == name }
    }

    /// Every linear layer by HF name, in execution order.
    public var linearUnits: [LinearUnit<T>] { layers.flatMap(\.linears) + [headDense, headOutput] }

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
        for n in layout.normNames {
            norms[n] = LayerNormParams(gamma: t["\(n).weight"]!.data, beta: t["\(n).bias"]!.data)
        }
        var linears: [String: any LinearOp] = [:]
        for n in layout.linearNames {
            linears[n] = DenseLinear(weight: t["\(n).weight"]!, bias: t["\(n).bias"]!.data)
        }
        let tables = Dictionary(uniqueKeysWithValues: layout.tableNames.map { ($0, t["\($0).weight"]!) })
        return BertModel(config: config, source: source, embeddingTables: tables, layerNorms: norms, linears: linears)
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
            for p in tables { try check(p, es) }
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
