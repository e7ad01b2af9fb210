import Quantization
import TensorCore

/// Quantization-aware training state of one linear layer under a `LayerScheme` (fake quantization with a
/// straight-through estimator; nlp-architect `QuantizedLinear.training_quantized_forward` for Q8BERT, torch.ao
/// `FakeQuantize` for PyTorch's schemes).
///
/// Forward, per call:
///
///     Ŵ = dequantize(quantize(W))            the scheme's weight quantizer (`WeightQuantizer.roundTrip`)
///     x̂ = (clamp(nearbyint(x·s⁻¹) + z) − z)·s  s, z: dynamic from x, or from the activation observer, which
///                                             sees x first on training steps (Q8BERT updates its EMA, then uses it)
///     y = x̂ Ŵᵀ + b̂                           b̂: FP32 bias, or the integer kernel's int32 bias for int32-bias
///                                             schemes (Q8BERT trains with the FP32 bias; simulating the int32
///                                             one keeps training closer to what `qbench eval` runs). For
///                                             schemes inference runs on the integer kernels, y is computed by
///                                             them (`integerLinear`), bit for bit what `qbench eval` computes
///     ŷ = fake-quantized y                    when the scheme re-quantizes outputs (output observer likewise)
///
/// Backward: the straight-through estimator — every quantizer passes its gradient unchanged (Q8BERT's
/// `FakeLinearQuantizationWithSTE.backward` returns `grad_output`), so `dx = dy·Ŵ`, `dW = dyᵀ·x̂`.
///
/// The observers' ranges become the static calibration of the integer model (`calibration`).
public final class FakeQuantization {
    /// HF layer name.
    public let name: String
    public let scheme: LayerScheme
    private var inputRange: ObservedRange?
    private var outputRange: ObservedRange?

    /// A static range being learned: the scheme's activation observer and whether it has seen anything.
    struct ObservedRange {
        var observer: any Observer
        var seen = false
    }

    /// - Throws: `QuantizationError` for an invalid scheme.
    public init(name: String, scheme: LayerScheme) throws {
        do { try scheme.validate() } catch let e as QuantizationError { throw QuantizationError.inLayer(name, e) }
        if scheme.activation?.granularity.isEmbeddingGroup == true {
            throw QuantizationError.inLayer(name, .invalidScheme(
                field: "activation.granularity", reason: "quantization-aware training does not support per_embedding_group activations"))
        }
        self.name = name
        self.scheme = scheme
        if let a = scheme.activation, !a.range.isDynamic {
            inputRange = ObservedRange(observer: makeActivationObserver(for: a))
            if let o = scheme.outputScheme { outputRange = ObservedRange(observer: makeActivationObserver(for: o)) }
        }
    }

    /// The static ranges learned so far (nil for dynamic schemes, which need none).
    public var calibration: Calibration? {
        guard let input = inputRange else { return nil }
        return Calibration(input: input.observer.parameters(), output: outputRange?.observer.parameters())
    }

    /// `Ŵ` for weight `[out, in]`, its parameters and its codes (nil for float16 / bfloat16 weights).
    /// - Precondition: `shape` fits the weight scheme (checked by `TrainableBert.attachQuantization`).
    public func quantizeWeight<T: TrainingScalar>(_ w: [T], shape: [Int])
        -> (weight: [T], params: QuantParams?, codes: QuantizedTensor?) {
        let t = Tensor(shape: shape, data: T.self == Float.self ? w as! [Float] : w.map { Float($0) })
        let rounded: Tensor, codes: QuantizedTensor?
        if scheme.weight.isFloat {
            rounded = try! WeightQuantizer.roundTrip(t, scheme: scheme.weight)
            codes = nil
        } else {
            let q = try! WeightQuantizer.quantizeWeights(t, scheme: scheme.weight, name: name)
            rounded = q.dequantized()
            codes = q
        }
        return (T.self == Float.self ? rounded.data as! [T] : rounded.data.map { T($0) }, codes?.params, codes)
    }

    /// `y = x̂ Ŵᵀ + b̂` for `x[rows, in]` (the layer input before fake quantization) exactly as the integer model
    /// computes it, when inference runs this layer on the integer kernels (`LinearQuantizer.assemble` picks
    /// `QuantizedLinear`): `QuantizedLinear.linear` with the codes of `Ŵ` and the activation parameters
    /// `inputParams` that `quantizeInput` used — int32 accumulators (+ int32 bias) times `s_a · s_w`. Nil for
    /// schemes inference simulates in FP32 (`FakeQuantLinear`: per-group or affine weights), whose
    /// `x̂ Ŵᵀ + b̂` the caller computes with an FP32 GEMM and `addBias`.
    ///
    /// The FP32 GEMM over dequantized values equals the integer result in real arithmetic but not in floats
    /// (a few ulps apart). A static output range absorbs that (but at a rounding boundary); a dynamic max|y| one
    /// does not: the range itself moves by an ulp, and every `y_j = ±max|y| / 2` (`A_j = ±A_max / 2` in the accumulators) is an exact tie
    /// `±63.5` that the integer path rounds to even and the FP32 path misses by an ulp either way.
    public func integerLinear<T: TrainingScalar>(_ x: [T], rows: Int, codes: QuantizedTensor?, bias: [T],
                                                 inputParams: [QuantScheme.ParamEntry]?) -> [T]? {
        guard scheme.implementation == .integerGEMM, let activation = scheme.activation, let codes,
              codes.int8Values != nil, let inputParams, rows > 0 else { return nil }
        let range: ActivationRange
        switch activation.range {
        case .dynamicPerTensor: range = .dynamicPerTensor
        case .dynamicPerRow: range = .dynamicPerRow
        default:
            let e = inputParams[0]
            range = .fixed(QuantParams(scales: [e.scale], inverseScales: [e.inverseScale], zeroPoints: [e.zeroPoint],
                                       qmin: activation.qmin, qmax: activation.qmax))
        }
        let op = QuantizedLinear(weights: codes, bias: T.self == Float.self ? bias as? [Float] : bias.map { Float($0) },
                                 scheme: scheme, activationRange: range, outputRange: nil)
        let xf: [Float] = T.self == Float.self ? x as! [Float] : x.map { Float($0) }
        var y = [Float](repeating: 0, count: rows * op.outFeatures)
        xf.withUnsafeBufferPointer { xp in
            y.withUnsafeMutableBufferPointer { op.linear(xp.baseAddress!, rows: rows, inputParams: inputParams, into: $0.baseAddress!) }
        }
        return T.self == Float.self ? y as? [T] : y.map { T($0) }
    }

    /// Fake-quantizes the layer input `[rows, in]` in place; returns the parameters used (one entry, or one per
    /// row for per-row ranges), nil for weight-only schemes.
    @discardableResult
    public func quantizeInput<T: TrainingScalar>(_ x: inout [T], rows: Int, observe: Bool) -> [QuantScheme.ParamEntry]? {
        guard let a = scheme.activation else { return nil }
        return Self.fakeQuantize(&x, rows: rows, scheme: a, range: &inputRange, observe: observe)
    }

    /// `y += b`: the FP32 bias, or for an int32-bias scheme the bias the integer kernel adds,
    /// `clamp(nearbyint(b·s_w⁻¹·s_a⁻¹))·s_w·s_a` (`QuantizedLinear.quantizeBias`, as `FakeQuantLinear`); the
    /// gradient reaches `b` straight through.
    public func addBias<T: TrainingScalar>(_ b: [T], to y: inout [T], rows: Int, weightParams: QuantParams?,
                                           inputParams: [QuantScheme.ParamEntry]?) {
        let n = b.count
        let int32 = scheme.options.bias == .int32
        y.withUnsafeMutableBufferPointer { yp in
            for r in 0..<rows {
                let row = yp.baseAddress! + r * n
                guard int32, let w = weightParams, let a = inputParams else {
                    for j in 0..<n { row[j] += b[j] }
                    continue
                }
                let e = a.count == 1 ? a[0] : a[r]
                for j in 0..<n {
                    let k = w.count > 1 ? j : 0
                    let q = QuantizedLinear.quantizeBias(Float(b[j]), multiplier: w.inverseScales[k] * e.inverseScale)
                    row[j] += T(Float(q) * (w.scales[k] * e.scale))
                }
            }
        }
    }

    /// Re-quantizes the layer output `[rows, out]` in place when the scheme asks for it.
    public func quantizeOutput<T: TrainingScalar>(_ y: inout [T], rows: Int, observe: Bool) {
        guard let o = scheme.outputScheme else { return }
        Self.fakeQuantize(&y, rows: rows, scheme: o, range: &outputRange, observe: observe)
    }

    /// `x̂ = (clamp(nearbyint(x·s⁻¹) + z, qmin, qmax) − z)·s` with parameters from the observer (static; fed `x`
    /// first when `observe`, or when it has seen nothing yet) or from `x` itself (dynamic, per tensor or per row).
    @discardableResult
    static func fakeQuantize<T: TrainingScalar>(_ x: inout [T], rows: Int, scheme: QuantScheme,
                                                range: inout ObservedRange?, observe: Bool) -> [QuantScheme.ParamEntry] {
        guard rows > 0, !x.isEmpty else { return [QuantScheme.ParamEntry(scale: 1, inverseScale: 1, zeroPoint: 0)] }
        let cols = x.count / rows
        var floats: [Float] = T.self == Float.self ? x as! [Float] : x.map { Float($0) }
        var entries: [QuantScheme.ParamEntry] = []
        if range != nil {
            if observe || !range!.seen {
                floats.withUnsafeBufferPointer { range!.observer.observe($0, rows: rows, cols: cols) }
                range!.seen = true
            }
            let p = range!.observer.parameters()
            entries = [QuantScheme.ParamEntry(scale: p.scales[0], inverseScale: p.inverseScales[0], zeroPoint: p.zeroPoints[0])]
        } else if scheme.range == .dynamicPerRow {
            entries = (0..<rows).map { r in
                let row = floats[(r * cols)..<((r + 1) * cols)]
                return scheme.chooseParams(min: row.min()!, max: row.max()!)
            }
        } else {
            entries = [scheme.chooseParams(min: floats.min()!, max: floats.max()!)]
        }
        let qmin = scheme.qmin, qmax = scheme.qmax
        floats.withUnsafeMutableBufferPointer { f in
            for r in 0..<rows {
                let e = entries.count == 1 ? entries[0] : entries[r]
                for j in (r * cols)..<((r + 1) * cols) {
                    let q = QuantParams.quantize(f[j], inverseScale: e.inverseScale, zeroPoint: e.zeroPoint, qmin: qmin, qmax: qmax)
                    f[j] = Float(q - e.zeroPoint) * e.scale
                }
            }
        }
        x = T.self == Float.self ? floats as! [T] : floats.map { T($0) }
        return entries
    }
}
