import _TestSupport
import BERT
import Experiments
import Foundation
import Quantization
import TensorCore
import Training
import XCTest

/// Quantization-aware training: straight-through gradients, Q8BERT's EMA ranges, and agreement of the trained
/// simulation with the integer kernels the result is evaluated on.
final class QATTests: XCTestCase {
    let tiny = Fixtures.tinyBert

    func fixtureBatch() throws -> (BertBatch, [Int]) {
        let g = try Golden.load("tiny-random-bert/grads.json")
        let ids = Golden.ints(g["input_ids"]), types = Golden.ints(g["token_type_ids"]), mask = Golden.ints(g["attention_mask"])
        let batch = BertBatch(batch: ids.count, seq: ids[0].count, inputIds: ids.flatMap { $0 },
                              tokenTypeIds: types.flatMap { $0 }, attentionMask: mask.flatMap { $0 }.map { Float($0) })
        return (batch, (g["labels"] as! [Any]).map { ($0 as! NSNumber).intValue })
    }

    /// With a weight-only scheme, QAT is exactly an FP32 model whose linear weights are Ŵ = roundTrip(W), and the
    /// straight-through estimator hands W the gradient that model computes for Ŵ.
    func testStraightThroughEstimatorOnWeights() throws {
        let engine = try BertModel.load(folder: tiny)
        let qat = try TrainableBert<Double>(engine, hiddenDropout: 0, attentionDropout: 0)
        try qat.attachQuantization(.weightOnlyInt8)
        let rounded = try engine.replacingLinears { name, op in
            let d = op as! DenseLinear
            return DenseLinear(weight: try WeightQuantizer.roundTrip(d.weight, scheme: .pytorchWeightPerChannel, name: name), bias: d.bias)
        }
        let reference = try TrainableBert<Double>(rounded, hiddenDropout: 0, attentionDropout: 0)
        let (batch, labels) = try fixtureBatch()
        let a = try qat.forward(batch, mode: .train(seed: 1)), b = try reference.forward(batch, mode: .train(seed: 1))
        XCTAssertEqual(a.logits, b.logits)
        XCTAssertEqual(qat.backward(a, labels: labels), reference.backward(b, labels: labels))
        for (p, q) in zip(qat.parameters, reference.parameters) { XCTAssertEqual(p.grad, q.grad, p.name) }
        XCTAssertNotEqual(qat.parameter(named: "classifier.weight")!.value,
                          reference.parameter(named: "classifier.weight")!.value, "W itself stays FP32")
    }

    /// Q8BERT's EMA: the first call sets the threshold max|x|, later ones move it by (1 − 0.9999); x̂ lies on the
    /// grid threshold/127 and the gradient is passed straight through.
    func testQ8BERTEMARangesAndInputGrid() throws {
        let fq = try FakeQuantization(name: "l", scheme: ModelScheme.q8bertStatic.defaultScheme!)
        var x1: [Float] = [0.5, -2, 1, 0.25], x2: [Float] = [4, 0, -1, 1.5]
        fq.quantizeInput(&x1, rows: 2, observe: true)
        XCTAssertEqual(fq.calibration!.input.scales[0], 2 / 127, accuracy: 1e-9)
        fq.quantizeInput(&x2, rows: 2, observe: true)
        let threshold = Float(2) - Float(1 - 0.9999) * (2 - 4)
        XCTAssertEqual(fq.calibration!.input.scales[0], threshold / 127, accuracy: 1e-9)
        XCTAssertEqual(fq.calibration!.input.inverseScales[0], 127 / threshold, accuracy: 1e-4)
        XCTAssertEqual(x2[0], threshold, accuracy: 1e-6, "4 clips to the threshold")
        XCTAssertEqual(x2[3], (1.5 * 127 / threshold).rounded() * threshold / 127, accuracy: 1e-6)
        // Evaluation calls do not move the range.
        var x3: [Float] = [100, 0, 0, 0]
        fq.quantizeInput(&x3, rows: 1, observe: false)
        XCTAssertEqual(fq.calibration!.input.scales[0], threshold / 127, accuracy: 1e-9)
        XCTAssertNotNil(fq.calibration!.output, "Q8BERT re-quantizes outputs: an output range too")
        // A dynamic scheme learns nothing.
        XCTAssertNil(try FakeQuantization(name: "l", scheme: ModelScheme.pytorchDynamic.defaultScheme!).calibration)
    }

    /// After training steps, the fake-quantized forward pass agrees with the integer model built from the learned
    /// ranges (`ModelQuantization.apply` → `QuantizedLinear`, int32 bias) — what `qbench eval --scheme` runs.
    func testTrainedSimulationMatchesIntegerKernels() throws {
        // One thread, so that the two training steps round the same whatever ran before: q8bert's 8-bit output
        // re-quantization is discontinuous, and one FP32 ulp elsewhere can move a value across a rounding boundary.
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        let (batch, labels) = try fixtureBatch()
        for scheme in [ModelScheme.q8bertStatic, .q8bertDynamic, .pytorchDynamic] {
            let model = try TrainableBert<Float>(try BertModel.load(folder: tiny))
            try model.attachQuantization(scheme)
            let opt = AdamW(parameters: model.parameters)
            for step in 0..<2 {
                model.zeroGradients()
                model.backward(try model.forward(batch, mode: .train(seed: UInt64(step))), labels: labels)
                opt.update(lr: 1e-3)
            }
            let calibrations = model.calibrations()
            XCTAssertEqual(calibrations.count, scheme.requiresCalibration ? 14 : 0, scheme.name)
            let simulated = try model.forward(batch, mode: .eval).logits
            let integer = try ModelQuantization.apply(scheme, to: model.engineModel(), calibrations: calibrations)
            let want = try integer.forward(batch).logits.data
            let fp32 = try model.engineModel().forward(batch).logits.data
            let diff = zip(simulated, want).map { abs($0 - $1) }.max()!
            print("DEBUG rows", scheme.name, zip(simulated, want).map { abs($0 - $1) })
            let quantEffect = zip(fp32, want).map { abs($0 - $1) }.max()!
            print(String(format: "%@: |QAT simulation − integer kernels| ≤ %.2e (quantization itself moves logits %.2e)",
                         scheme.name, diff, quantEffect))
            XCTAssertLessThan(diff, 1e-3, scheme.name)
            XCTAssertLessThan(diff, 0.1 * quantEffect, "\(scheme.name): the simulation models the quantization")
        }
    }
}
