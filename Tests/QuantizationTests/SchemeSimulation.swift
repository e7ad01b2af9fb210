import Quantization
import TensorCore

/// A plain-Swift simulation of a `LayerScheme` on one input, written independently of the operators:
/// scalar loops, its own quantize formula, integer dot products in `Int64`. Shares only the parameter math
/// (`QuantScheme.chooseParams`, checked against PyTorch by hand in `PyTorchParamsTests`) and the weight codes
/// (`WeightQuantizer`, checked by the round-trip test).
struct SchemeSimulation {
    let scheme: LayerScheme
    let layer: DenseLinear
    let calibration: Calibration?

    /// Output, and per-row activation steps `s_a` (0 for FP32 activations) and the output step per row.
    struct Result {
        var y: [Float]
        var preRequant: [Float]
        var activationStep: [Float]
        var outputStep: [Float]
    }

    static func quantize(_ x: Float, _ inv: Float, _ zp: Int32, _ qmin: Int32, _ qmax: Int32) -> Int32 {
        var v = Double((x * inv).rounded(.toNearestOrEven)) + Double(zp)
        v = min(max(v, Double(qmin)), Double(qmax))
        return Int32(v)
    }

    static func quantizeBias(_ b: Float, _ mult: Float) -> Int32 {
        let v = Double((b * mult).rounded(.toNearestOrEven))
        return Int32(min(max(v, -Double(Int32.max)), Double(Int32.max)))
    }

    /// Per-row activation parameters `(s, s⁻¹, z)` for `v[rows, cols]` under `a`, from the data or `fixed`.
    static func rowParams(_ v: [Float], rows: Int, cols: Int, scheme a: QuantScheme, fixed: QuantParams?)
        -> [QuantScheme.ParamEntry] {
        switch a.range {
        case .dynamicPerTensor:
            let e = a.chooseParams(min: v.min()!, max: v.max()!)
            return Array(repeating: e, count: rows)
        case .dynamicPerRow:
            return (0..<rows).map { r in
                let row = v[(r * cols)..<((r + 1) * cols)]
                return a.chooseParams(min: row.min()!, max: row.max()!)
            }
        default:
            let p = fixed!
            return Array(repeating: .init(scale: p.scales[0], inverseScale: p.inverseScales[0], zeroPoint: p.zeroPoints[0]), count: rows)
        }
    }

    func run(_ x: Tensor) throws -> Result {
        let rows = x.shape[0], k = layer.inFeatures, n = layer.outFeatures
        let b = layer.bias ?? [Float](repeating: 0, count: n)
        var y = [Float](repeating: 0, count: rows * n)
        var aStep = [Float](repeating: 0, count: rows)
        switch scheme.implementation {
        case .float16:
            let w = WeightQuantizer.roundToFloat16(layer.weight).data
            for r in 0..<rows {
                for j in 0..<n {
                    var acc = 0.0
                    for i in 0..<k { acc += Double(x.data[r * k + i]) * Double(w[j * k + i]) }
                    y[r * n + j] = Float(acc) + b[j]
                }
            }
        case .bfloat16:
            // bfloat16 operands (the Swift rounding, not the kernel's), products summed in Double; aStep bounds the
            // activation rounding of the row: |x − bf16(x)| ≤ |x|·2⁻⁸ ≤ aStep / 2.
            let w = WeightQuantizer.roundToBFloat16(layer.weight).data
            let xb = WeightQuantizer.roundToBFloat16(x).data
            for r in 0..<rows {
                aStep[r] = 2 * (x.data[(r * k)..<((r + 1) * k)].map(abs).max() ?? 0) * 0x1p-8
                for j in 0..<n {
                    var acc = 0.0
                    for i in 0..<k { acc += Double(xb[r * k + i]) * Double(w[j * k + i]) }
                    y[r * n + j] = Float(acc) + b[j]
                }
            }
        case .integerGEMM where scheme.activation!.granularity.isEmbeddingGroup:
            // Per-embedding-group: the calibrated column order and one (s, z) per group; one Int64 dot product per
            // group, dequantized per group, summed in group order in Float; aStep is the widest group step.
            let a = scheme.activation!
            let layout = calibration!.inputGroups!, p = calibration!.input!
            let qw = try WeightQuantizer.quantizeWeights(layer.weight, scheme: scheme.weight)
            let perChannel = qw.params.count > 1
            let w = k / layout.groups
            for r in 0..<rows {
                aStep[r] = p.scales.max()!
                let qa = (0..<k).map { j in
                    SchemeSimulation.quantize(x.data[r * k + layout.order[j]], p.inverseScales[j / w], p.zeroPoints[j / w], a.qmin, a.qmax)
                }
                for j in 0..<n {
                    let c = perChannel ? j : 0
                    var v: Float = 0
                    for g in 0..<layout.groups {
                        var acc: Int64 = 0, rowSum: Int64 = 0
                        for i in (g * w)..<((g + 1) * w) {
                            let wv = Int64(qw.values[j * k + layout.order[i]])
                            acc += Int64(qa[i]) * wv
                            rowSum += wv
                        }
                        let part = Float(Int32(acc - Int64(p.zeroPoints[g]) * rowSum)) * (p.scales[g] * qw.params.scales[c])
                        v = g == 0 ? part : v + part
                    }
                    y[r * n + j] = v + b[j]
                }
            }
        case .integerGEMM:
            let a = scheme.activation!
            let qw = try WeightQuantizer.quantizeWeights(layer.weight, scheme: scheme.weight)
            let ap = SchemeSimulation.rowParams(x.data, rows: rows, cols: k, scheme: a, fixed: calibration?.input)
            let perChannel = qw.params.count > 1
            for r in 0..<rows {
                let e = ap[r]
                aStep[r] = e.scale
                let qa = (0..<k).map { SchemeSimulation.quantize(x.data[r * k + $0], e.inverseScale, e.zeroPoint, a.qmin, a.qmax) }
                for j in 0..<n {
                    let c = perChannel ? j : 0
                    var acc: Int64 = 0, rowSum: Int64 = 0
                    for i in 0..<k {
                        acc += Int64(qa[i]) * Int64(qw.values[j * k + i])
                        rowSum += Int64(qw.values[j * k + i])
                    }
                    if scheme.options.bias == .int32 {
                        acc += Int64(SchemeSimulation.quantizeBias(b[j], qw.params.inverseScales[c] * e.inverseScale))
                    }
                    var v = Float(Int32(acc - Int64(e.zeroPoint) * rowSum)) * (e.scale * qw.params.scales[c])
                    if scheme.options.bias == .float32 { v = v + b[j] }
                    y[r * n + j] = v
                }
            }
        case .fakeQuant:
            let qw = try WeightQuantizer.quantizeWeights(layer.weight, scheme: scheme.weight)
            let w = qw.dequantized().data
            var xh = x.data
            var ap: [QuantScheme.ParamEntry]? = nil
            if let a = scheme.activation {
                let p = SchemeSimulation.rowParams(x.data, rows: rows, cols: k, scheme: a, fixed: calibration?.input)
                ap = p
                for r in 0..<rows {
                    aStep[r] = p[r].scale
                    for i in 0..<k {
                        let q = SchemeSimulation.quantize(x.data[r * k + i], p[r].inverseScale, p[r].zeroPoint, a.qmin, a.qmax)
                        xh[r * k + i] = Float(q - p[r].zeroPoint) * p[r].scale
                    }
                }
            }
            for r in 0..<rows {
                for j in 0..<n {
                    var acc = 0.0
                    for i in 0..<k { acc += Double(xh[r * k + i]) * Double(w[j * k + i]) }
                    var bias = b[j]
                    if scheme.options.bias == .int32, let ap {
                        let c = qw.params.count > 1 ? j : 0
                        let q = SchemeSimulation.quantizeBias(b[j], qw.params.inverseScales[c] * ap[r].inverseScale)
                        bias = Float(q) * (qw.params.scales[c] * ap[r].scale)
                    }
                    y[r * n + j] = Float(acc) + bias
                }
            }
        }
        let pre = y
        var oStep = [Float](repeating: 0, count: rows)
        if let a = scheme.outputScheme {
            let op = SchemeSimulation.rowParams(y, rows: rows, cols: n, scheme: a, fixed: calibration?.output)
            for r in 0..<rows {
                oStep[r] = op[r].scale
                for j in 0..<n {
                    let q = SchemeSimulation.quantize(y[r * n + j], op[r].inverseScale, op[r].zeroPoint, a.qmin, a.qmax)
                    y[r * n + j] = Float(q - op[r].zeroPoint) * op[r].scale
                }
            }
        }
        return Result(y: y, preRequant: pre, activationStep: aStep, outputStep: oStep)
    }
}
