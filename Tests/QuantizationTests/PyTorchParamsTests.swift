import Numerics
import Quantization
import TensorCore
import XCTest

/// Parameter math against values worked out by hand from PyTorch's sources (numbers double-checked with
/// numpy float32 emulation of the same formulas):
/// - observer.py `_calculate_qparams` (weights), QuantUtils.h `ChooseQuantizationParams` (dynamic activations),
///   fbgemm `Quantize` / aten `quantize_val` (`nearbyint(x · (1.0f / s)) + z`),
/// - nlp-architect quantization.py (`get_scale`, `quantize`).
final class PyTorchParamsTests: XCTestCase {
    // MARK: weights (default_weight_observer: qint8 per_tensor_symmetric, −128…127)

    func testWeightScaleIsMaxAbsOver127Point5() throws {
        let w = Tensor(shape: [2, 3], data: [1.275, -1.275, 0.5, -0.3333, 0.0123, 0.00499])
        let q = try WeightQuantizer.quantizeWeights(w, scheme: .pytorchWeight)
        XCTAssertEqual(q.params.scales, [Float(1.275) / 127.5])
        XCTAssertTrue(q.params.scales[0].isApproximatelyEqual(to: 0.01, relativeTolerance: 1e-6))
        XCTAssertEqual(q.params.inverseScales, [1 / (Float(1.275) / 127.5)])
        XCTAssertEqual(q.params.zeroPoints, [0])
        XCTAssertEqual([q.params.qmin, q.params.qmax], [-128, 127])
        // nearbyint(w · 100): 127.5 → 128 → clamped 127; −127.5 → −128; 50; −33.33 → −33; 1.23 → 1; 0.499 → 0
        XCTAssertEqual((0..<6).map { q.values[$0] }, [127, -128, 50, -33, 1, 0])
    }

    func testAllZeroWeightsUseEpsilonScale() throws {
        let q = try WeightQuantizer.quantizeWeights(Tensor(zeros: [3, 4]), scheme: .pytorchWeight)
        XCTAssertEqual(q.params.scales, [Float.ulpOfOne])   // torch.finfo(torch.float32).eps
        XCTAssertEqual(q.params.scales, [1.1920929e-07])
        XCTAssertEqual((0..<12).map { q.values[$0] }, Array(repeating: 0, count: 12))
    }

    func testPerChannelWeightScales() throws {
        let w = Tensor(shape: [2, 2], data: [1.275, -0.2, 0.1, -0.255])
        let q = try WeightQuantizer.quantizeWeights(w, scheme: .pytorchWeightPerChannel)
        XCTAssertEqual(q.params.scales, [Float(1.275) / 127.5, Float(0.255) / 127.5])
        XCTAssertTrue(q.params.scales[1].isApproximatelyEqual(to: 0.002, relativeTolerance: 1e-6))
        XCTAssertEqual(q.params.zeroPoints, [0, 0])
    }

    func testTorchObserverAffine() {
        let s = QuantScheme.integer(bits: 8, signed: false, symmetric: false)
        let e = s.chooseParams(min: -1, max: 3)
        XCTAssertEqual(e.scale, Float(4) / 255)              // 0.015686275
        XCTAssertEqual(e.zeroPoint, 64)                      // 0 − round(−63.75)
    }

    // MARK: dynamic activations (quant_utils::ChooseQuantizationParams)

    func testReduceRangeMinusOneToThree() {
        let e = QuantScheme.pytorchDynamicActivation.chooseParams(min: -1, max: 3)
        XCTAssertEqual(e.scale, Float(4.0 / 127.0))          // double division, then float
        XCTAssertEqual(e.inverseScale, 1 / Float(4.0 / 127.0))
        XCTAssertEqual(e.zeroPoint, 32)                      // 0 + 1 / (4/127) = 31.75 → nearbyint 32
    }

    func testFullRangeEightBit() {
        let e = QuantScheme.pytorchDynamicActivation8Bit.chooseParams(min: -0.5, max: 2)
        XCTAssertEqual(e.scale, Float(2.5 / 255.0))
        XCTAssertEqual(e.zeroPoint, 51)
    }

    func testRangeIsWidenedToContainZero() {
        let e = QuantScheme.pytorchDynamicActivation.chooseParams(min: 0.5, max: 2)
        XCTAssertEqual(e.scale, Float(2.0 / 127.0))
        XCTAssertEqual(e.zeroPoint, 0)
    }

    func testAllZeroActivationsGetScalePointOne() {
        // scale 0 → "arbitrary" 0.1 (its float reciprocal would be infinite); zero point from min: 0
        let e = QuantScheme.pytorchDynamicActivation.chooseParams(min: 0, max: 0)
        XCTAssertEqual(e.scale, Float(0.1))
        XCTAssertEqual(e.zeroPoint, 0)
    }

    func testSmallScalesAreRaisedToThreshold() {
        // 1e-4 / 127 < 6.1e-5: scale becomes 6.1e-5; min == 0 so only max is stretched; zero point 0
        let a = QuantScheme.pytorchDynamicActivation.chooseParams(min: 0, max: 1e-4)
        XCTAssertEqual(a.scale, Float(6.1e-5))
        XCTAssertEqual(a.zeroPoint, 0)
        // both signs: the range is amplified by 6.1e-5 / scale, zero point 0 + 2.58e-3 / 6.1e-5 = 42.3 → 42
        let b = QuantScheme.pytorchDynamicActivation.chooseParams(min: -1e-4, max: 2e-4)
        XCTAssertEqual(b.scale, Float(6.1e-5))
        XCTAssertEqual(b.zeroPoint, 42)
    }

    // MARK: Q8BERT (nlp-architect: scale = 127 / max|x|, q = clamp(round(x · scale), −127, 127))

    func testQ8BERTMultiplier() {
        let e = QuantScheme.q8bertDynamicActivation.chooseParams(min: -2.54, max: 1)
        XCTAssertEqual(e.inverseScale, Float(127) / Float(2.54))   // 50
        XCTAssertEqual(e.scale, Float(2.54) / Float(127))          // 0.02
        XCTAssertEqual(e.zeroPoint, 0)
        let p = QuantParams(scales: [e.scale], inverseScales: [e.inverseScale], zeroPoints: [0], qmin: -127, qmax: 127)
        // round half to even (torch.round): 0.01 · 50 = 0.5 → 0; 0.0199 · 50 = 0.995 → 1
        XCTAssertEqual([2.54, -2.54, 1.0, 0.01, -0.3, 0.0199, 9].map { p.quantize($0, at: 0) }, [127, -127, 50, 0, -15, 1, 127])
    }

    func testQ8BERTZeroThresholdDoesNotProduceNaN() {
        let e = QuantScheme.q8bertDynamicActivation.chooseParams(min: 0, max: 0)
        XCTAssertEqual(e.scale, 1)
        XCTAssertEqual(e.inverseScale, 1)
    }

    func testQ8BERTBiasIsQuantizedWithProductOfMultipliers() {
        XCTAssertEqual(QuantizedLinear.quantizeBias(0.1, multiplier: 50 * 100), 500)
        XCTAssertEqual(QuantizedLinear.quantizeBias(1e30, multiplier: 1), Int32.max)
        XCTAssertEqual(QuantizedLinear.quantizeBias(-1e30, multiplier: 1), -Int32.max)
    }

    // MARK: one layer end to end (pytorch-dynamic), worked out by hand

    func testDynamicLinearByHand() throws {
        // x = [[-1, 3], [0.5, 0.25]]: min −1, max 3 → s_a = 4/127, z_a = 32 → A_q = [[0, 127], [48, 40]]
        // W = [[1.275, −0.5], [0.3, 0.1]]: s_w = 0.01 → W_q = [[127, −50], [30, 10]], row sums [77, 40]
        // C = [[−6350, 1270], [4096, 1840]]; y = (C − 32·rowsum) · (s_a·s_w) + b
        let layer = DenseLinear(weight: Tensor(shape: [2, 2], data: [1.275, -0.5, 0.3, 0.1]), bias: [0.1, -0.2])
        let op = try quantize(layer, name: "classifier", scheme: ModelScheme.pytorchDynamic.layerScheme(for: "classifier")!)
        let y = op(Tensor(shape: [2, 2], data: [-1, 3, 0.5, 0.25]))
        let sa = Float(4.0 / 127.0), sw = Float(1.275) / 127.5
        let expected: [Float] = [Float(-6350 - 32 * 77) * (sa * sw) + 0.1, Float(1270 - 32 * 40) * (sa * sw) - 0.2,
                                 Float(4096 - 32 * 77) * (sa * sw) + 0.1, Float(1840 - 32 * 40) * (sa * sw) - 0.2]
        XCTAssertEqual(y.data, expected)
        // numpy emulation of the same: [-2.676063, -0.20314962, 0.61401576, -0.02362205]
        for (got, want) in zip(y.data, [Float(-2.676063), -0.20314962, 0.61401576, -0.02362205]) {
            XCTAssertTrue(got.isApproximatelyEqual(to: want, relativeTolerance: 1e-6))
        }
    }

    func testPaddingRowsTakePartInThePerTensorRange() throws {
        // A zero padding row widens nothing here, but a padding row holding a large value changes every row's
        // scale: PyTorch takes min/max over input.numel(), whatever the attention mask says.
        let layer = DenseLinear(weight: Tensor(shape: [1, 2], data: [1, 1]), bias: nil)
        let op = try quantize(layer, name: "pooler.dense", scheme: ModelScheme.pytorchDynamic.defaultScheme!)
        let alone = op(Tensor(shape: [1, 2], data: [0.3, 0.7]))
        let padded = op(Tensor(shape: [2, 2], data: [0.3, 0.7, 50, -50]))
        XCTAssertNotEqual(alone.data[0], padded.data[0])
    }
}
