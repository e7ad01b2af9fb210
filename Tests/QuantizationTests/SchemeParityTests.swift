import Numerics
import Quantization
import TensorCore
import XCTest

/// The one table-driven parity test (STYLE.md §7): every registered scheme (and a few extra variants that
/// exercise paths no preset uses) goes through the same checks.
final class SchemeParityTests: XCTestCase {
    /// Weight round trip: MSE / mean(w²) must stay below this, per bit width (16 = float16). The test weights are
    /// N(0, 0.05²) with 6× outliers, the hard case for per-tensor scales. Measured: fp16 3.6e-8; 8-bit per-tensor
    /// 6.1e-4, per-channel 1.0e-4, affine per-channel 5.0e-5; 4-bit per-group(32) 1.9e-2, per-channel 3.2e-2.
    static let relativeMSEThreshold: [Int: Double] = [16: 1e-7, 8: 1.5e-3, 7: 6e-3, 6: 2.4e-2, 5: 5e-2, 4: 8e-2, 3: 0.3, 2: 1.0]
    /// Integer GEMM vs the plain-Swift simulation of the same integer math: exact up to float rounding.
    static let integerPathTolerance: Float = 1e-5
    /// Fake-quant / fp16 vs the simulation: FP32 sgemm summation vs Double.
    static let floatPathTolerance: Float = 1e-4

    /// Layer schemes that no preset uses but the operators support.
    static let extraVariants: [(String, LayerScheme)] = [
        ("per-row-dynamic-u8", LayerScheme(weight: .pytorchWeightPerChannel,
                                           activation: .pytorchDynamicActivation8Bit.withRange(.dynamicPerRow))),
        ("static-minmax-affine-int32-bias", LayerScheme(
            weight: .pytorchWeight,
            activation: .integer(bits: 8, signed: false, symmetric: false, range: .staticMinMax),
            options: LayerOptions(bias: .int32, requantizeOutput: true))),
        ("static-percentile-symmetric", LayerScheme(
            weight: .q8bertWeight,
            activation: .integer(bits: 8, signed: true, symmetric: true, narrowRange: true,
                                 range: .staticPercentile(p: 100), scaleRule: .maxAbs))),
        ("int4-per-channel-int-gemm", LayerScheme(
            weight: .integer(bits: 4, signed: true, symmetric: true, granularity: .perChannel(axis: 0)),
            activation: .q8bertDynamicActivation)),
        ("affine-weights-fake-quant", LayerScheme(
            weight: .integer(bits: 8, signed: false, symmetric: false, granularity: .perChannel(axis: 0)),
            activation: .pytorchDynamicActivation)),
        ("peg3-permuted-symmetric-per-channel", LayerScheme(
            weight: .pytorchWeightPerChannel,
            activation: .integer(bits: 8, signed: true, symmetric: true, narrowRange: true,
                                 granularity: .perEmbeddingGroup(groups: 3, permute: true), range: .staticMinMax,
                                 scaleRule: .maxAbs))),
        ("int4-per-group-with-activations", LayerScheme(
            weight: .integer(bits: 4, signed: true, symmetric: true, granularity: .perGroup(size: 32)),
            activation: .q8bertDynamicActivation.withRange(.dynamicPerRow),
            options: LayerOptions(bias: .float32, requantizeOutput: true))),
    ]

    /// Every (label, layer scheme) pair to check: all layer schemes of all registered model schemes, then the extras.
    static var cases: [(String, LayerScheme)] {
        var out = [(String, LayerScheme)]()
        for m in SchemeRegistry.table {
            for (i, s) in m.layerSchemes.enumerated() { out.append((i == 0 ? m.name : "\(m.name)#\(i)", s)) }
        }
        return out + extraVariants
    }

    func testRegistryIsValidAndEveryPresetIsCovered() throws {
        try SchemeRegistry.validate()
        XCTAssertEqual(Set(SchemeRegistry.names).count, SchemeRegistry.table.count)
        for m in SchemeRegistry.table where m.defaultScheme == nil {
            XCTAssertNil(m.layerScheme(for: "encoder.layer.0.attention.self.query"), m.name)
        }
        XCTAssertGreaterThanOrEqual(Self.cases.count, SchemeRegistry.table.count - 1 + Self.extraVariants.count)
    }

    func testEveryScheme() throws {
        for (label, scheme) in Self.cases {
            try checkWeightRoundTrip(label, scheme.weight)
            try checkLayer(label, scheme)
        }
    }

    // MARK: weights

    func checkWeightRoundTrip(_ label: String, _ scheme: QuantScheme) throws {
        let w = RandomLayer(out: 24, in: 64, rows: 1, seed: 11).layer.weight
        let back = try WeightQuantizer.roundTrip(w, scheme: scheme)
        var se = 0.0, energy = 0.0
        for i in 0..<w.count {
            let d = Double(back.data[i] - w.data[i])
            se += d * d
            energy += Double(w.data[i]) * Double(w.data[i])
        }
        // bfloat16 keeps 8 significant bits (relative error ≤ 2⁻⁸ near a power of two), not fp16's 11.
        let threshold = scheme.format == .bfloat16 ? 1e-5
            : try XCTUnwrap(Self.relativeMSEThreshold[scheme.storageBits], "\(label): no threshold for \(scheme.storageBits) bits")
        XCTAssertLessThan(se / energy, threshold, "\(label): relative weight MSE")
        XCTAssertGreaterThan(se, 0, "\(label): round trip changed nothing — suspicious")

        if scheme.format == .float16 {
            for i in 0..<w.count {
                XCTAssertLessThanOrEqual(abs(back.data[i] - w.data[i]), abs(w.data[i]) * 0x1p-11 + 0x1p-25, "\(label): fp16 element \(i)")
            }
            return
        }
        if scheme.format == .bfloat16 {
            for i in 0..<w.count {
                XCTAssertLessThanOrEqual(abs(back.data[i] - w.data[i]), abs(w.data[i]) * 0x1p-8, "\(label): bf16 element \(i)")
            }
            return
        }
        let q = try WeightQuantizer.quantizeWeights(w, scheme: scheme)
        XCTAssertEqual(q.dequantized(), back)
        for i in 0..<w.count {
            let e = q.paramIndex(ofElement: i)
            let s = q.params.scales[e], z = Float(q.params.zeroPoints[e])
            let t = w.data[i] * q.params.inverseScales[e] + z
            // Weights come from their own min/max: every element is inside the range (up to the half step at the edges).
            XCTAssertTrue(t >= Float(scheme.qmin) - 0.5001 && t <= Float(scheme.qmax) + 0.5001, "\(label): weight \(i) outside range")
            XCTAssertLessThanOrEqual(abs(back.data[i] - w.data[i]), s / 2 * (1 + 1e-4) + 1e-7, "\(label): weight \(i) off by more than half a step")
            XCTAssertTrue((scheme.qmin...scheme.qmax).contains(q.values[i]), "\(label): code \(q.values[i]) outside \(scheme.qmin)…\(scheme.qmax)")
        }
    }

    // MARK: whole layer

    func checkLayer(_ label: String, _ scheme: LayerScheme) throws {
        let (n, k, rows) = (24, 96, 9)
        let r = RandomLayer(out: n, in: k, rows: rows, seed: 7)
        var calibration: Calibration? = nil
        let op: any LinearOp
        if scheme.requiresCalibration {
            let cal = try CalibratingLinear(r.layer, name: "encoder.layer.0.output.dense", scheme: scheme)
            // Calibrate on the test input itself (three identical calls keep an EMA exactly at its first value).
            for _ in 0..<3 { _ = runOp(cal, r.input) }
            calibration = cal.calibration
            op = try cal.finalize()
        } else {
            op = try quantize(r.layer, name: "encoder.layer.0.output.dense", scheme: scheme)
        }
        XCTAssertEqual(op.inFeatures, k)
        XCTAssertEqual(op.outFeatures, n)

        switch scheme.implementation {
        case .integerGEMM where scheme.activation?.granularity.isEmbeddingGroup == true:
            XCTAssertTrue(op is EmbeddingGroupLinear, "\(label): expected EmbeddingGroupLinear, got \(type(of: op))")
        case .integerGEMM: XCTAssertTrue(op is QuantizedLinear, "\(label): expected QuantizedLinear, got \(type(of: op))")
        case .float16: XCTAssertTrue(op is Float16Linear, "\(label): expected Float16Linear, got \(type(of: op))")
        case .bfloat16: XCTAssertTrue(op is BFloat16Linear, "\(label): expected BFloat16Linear, got \(type(of: op))")
        case .fakeQuant: XCTAssertTrue(op is FakeQuantLinear, "\(label): expected FakeQuantLinear, got \(type(of: op))")
        }
        XCTAssertLessThan(op.parameterBytes, r.layer.parameterBytes, "\(label): quantized layer is not smaller")

        let y = runOp(op, r.input)
        XCTAssertEqual(y.shape, [rows, n])
        // Splitting rows over workers must not change a single bit.
        XCTAssertEqual(runOp(op, r.input, threads: 3).data, y.data, "\(label): result depends on the thread count")
        // A dynamic per-tensor integer layer takes its input's range from the caller (the engine measures it in the
        // pass that produced the input): the same bits as measuring it itself.
        let dynamicPerTensor = scheme.activation?.range == .dynamicPerTensor
        XCTAssertEqual(op.usesInputRange, scheme.implementation == .integerGEMM && dynamicPerTensor, label)
        let range = r.input.data.withUnsafeBufferPointer { ValueRange.measure($0.baseAddress!, count: $0.count) }
        var hinted = [Float](repeating: .nan, count: rows * n)
        r.input.data.withUnsafeBufferPointer { xp in
            hinted.withUnsafeMutableBufferPointer { op.forward(xp.baseAddress!, rows: rows, inputRange: range, into: $0.baseAddress!) }
        }
        XCTAssertEqual(hinted.map(\.bitPattern), y.data.map(\.bitPattern), "\(label): result with a measured input range")

        // 1. operator vs the simulation of the same scheme
        let sim = try SchemeSimulation(scheme: scheme, layer: r.layer, calibration: calibration).run(r.input)
        let tol = scheme.implementation == .integerGEMM ? Self.integerPathTolerance : Self.floatPathTolerance
        let scale = sim.y.map(abs).max()!
        let floatRequant = scheme.implementation != .integerGEMM && scheme.options.requantizeOutput
        for i in 0..<y.count {
            // A float path that re-quantizes its output may land one output step away where the simulation's
            // slightly different sum sits on the other side of a rounding boundary.
            let slack = floatRequant ? sim.outputStep[i / n] * 1.001 : 0
            XCTAssertTrue(y.data[i].isApproximatelyEqual(to: sim.y[i], absoluteTolerance: tol * scale + slack, relativeTolerance: tol),
                          "\(label): element \(i): operator \(y.data[i]) vs simulation \(sim.y[i])")
        }

        // 2. quantized dot vs float dot: |ŷ − y| ≤ e_a·Σ|ŵ| + Σ|x|·e_w + bias error (+ output step)
        let reference = r.layer(r.input)
        let wq = try WeightQuantizer.roundTrip(r.layer.weight, scheme: scheme.weight)
        let weightStep: [Float]
        if scheme.weight.format == .float16 {
            weightStep = r.layer.weight.data.map { abs($0) * 0x1p-11 + 0x1p-25 }
        } else if scheme.weight.format == .bfloat16 {
            weightStep = r.layer.weight.data.map { abs($0) * 0x1p-8 + 0x1p-126 }
        } else {
            let q = try WeightQuantizer.quantizeWeights(r.layer.weight, scheme: scheme.weight)
            weightStep = (0..<q.count).map { q.params.scales[q.paramIndex(ofElement: $0)] / 2 }
        }
        for row in 0..<rows {
            for j in 0..<n {
                var bound: Float = 0, magnitude: Float = 0
                for i in 0..<k {
                    let x = abs(r.input.data[row * k + i]), w = abs(wq.data[j * k + i])
                    bound += sim.activationStep[row] / 2 * w + x * weightStep[j * k + i]
                    magnitude += x * abs(r.layer.weight.data[j * k + i])
                }
                if scheme.options.bias == .int32 { bound += sim.activationStep[row] * weightStep[j * k] }
                bound += 1e-5 * magnitude + 1e-6
                if scheme.options.requantizeOutput {
                    bound += sim.outputStep[row] / 2 * 1.0001
                }
                let err = abs(y.data[row * n + j] - reference.data[row * n + j])
                XCTAssertLessThanOrEqual(err, bound, "\(label): row \(row) col \(j): |quantized − float| = \(err) > bound \(bound)")
            }
        }
    }
}
