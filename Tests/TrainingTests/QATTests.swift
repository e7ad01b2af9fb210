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
        XCTAssertEqual(fq.calibration!.input!.scales[0], 2 / 127, accuracy: 1e-9)
        fq.quantizeInput(&x2, rows: 2, observe: true)
        let threshold = Float(2) - Float(1 - 0.9999) * (2 - 4)
        XCTAssertEqual(fq.calibration!.input!.scales[0], threshold / 127, accuracy: 1e-9)
        XCTAssertEqual(fq.calibration!.input!.inverseScales[0], 127 / threshold, accuracy: 1e-4)
        XCTAssertEqual(x2[0], threshold, accuracy: 1e-6, "4 clips to the threshold")
        XCTAssertEqual(x2[3], (1.5 * 127 / threshold).rounded() * threshold / 127, accuracy: 1e-6)
        // Evaluation calls do not move the range.
        var x3: [Float] = [100, 0, 0, 0]
        fq.quantizeInput(&x3, rows: 1, observe: false)
        XCTAssertEqual(fq.calibration!.input!.scales[0], threshold / 127, accuracy: 1e-9)
        XCTAssertNotNil(fq.calibration!.output, "Q8BERT re-quantizes outputs: an output range too")
        // A dynamic scheme learns nothing.
        XCTAssertNil(try FakeQuantization(name: "l", scheme: ModelScheme.pytorchDynamic.defaultScheme!).calibration)
    }

    /// After training steps, the fake-quantized forward pass agrees with the integer model built from the learned
    /// ranges (`ModelQuantization.apply` → `QuantizedLinear`, int32 bias) — what `qbench eval --scheme` runs. At 1
    /// and 2 threads (which train to different weights: OpenBLAS rounds differently).
    func testTrainedSimulationMatchesIntegerKernels() throws {
        let threads = Parallel.threads
        defer { Parallel.setThreads(threads) }
        let (batch, labels) = try fixtureBatch()
        for t in [1, 2] {
            Parallel.setThreads(t)
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
                let quantEffect = zip(fp32, want).map { abs($0 - $1) }.max()!
                print(String(format: "%@, %d thread(s): |QAT simulation − integer kernels| ≤ %.2e (quantization itself moves logits %.2e)",
                             scheme.name, t, diff, quantEffect))
                XCTAssertLessThan(diff, 1e-3, "\(scheme.name), \(t) thread(s)")
                XCTAssertLessThan(diff, 0.1 * quantEffect, "\(scheme.name), \(t) thread(s): the simulation models the quantization")
            }
        }
    }

    /// A dynamic max|y| output range makes exact ties: when the integer accumulators hold `A_1 = −A_0 / 2` and
    /// `|A_0|` is the largest, `y_1 = −max|y| / 2` and its code is `−63.5` (rounded to even by the integer model).
    /// The simulation must compute `y` as the integer kernels do (int32 accumulators × `s_a·s_w`), not as an FP32
    /// GEMM over dequantized values, which misses such a tie by an ulp either way. A model with no encoder layer
    /// and LayerNorm γ = 0 feeds β to a q8bert-dynamic pooler whose weight codes are built to make that tie.
    func testDynamicOutputRangeTieMatchesIntegerKernels() throws {
        let H = 8
        let config = BertConfiguration(vocabSize: 1, hiddenSize: H, numHiddenLayers: 0, numAttentionHeads: 1,
                                       intermediateSize: H, maxPositionEmbeddings: 1, typeVocabSize: 1)
        let act = QuantScheme.q8bertDynamicActivation
        let batch = BertBatch(batch: 1, seq: 1, inputIds: [0], tokenTypeIds: [0], attentionMask: [1])
        var mismatches = 0
        for seed in UInt64(0)..<32 {
            var rng = SeededRandom(seed: seed)
            func ints(_ n: Int, _ r: ClosedRange<Int32>) -> [Int32] { (0..<n).map { _ in Int32.random(in: r, using: &rng) } }
            // Pooler input x = β and its codes q_x; pooler codes: row 0 holds the weight maximum 127 and the largest
            // accumulator A_0 (even), row 1 solves A_1 = −A_0 / 2, the other rows stay small.
            var x: [Float] = [], qx: [Int32] = [], codes: [Int32] = []
            while true {
                x = (0..<H).map { _ in rng.normal() }
                let e = act.chooseParams(min: x.min()!, max: x.max()!)
                qx = x.map { QuantParams.quantize($0, inverseScale: e.inverseScale, zeroPoint: 0, qmin: -127, qmax: 127) }
                let row0 = [127] + ints(H - 1, -127...127)
                let a0 = zip(row0, qx).reduce(0) { $0 + $1.0 * $1.1 }
                let head = ints(H - 1, -60...60)
                let rest = a0 / 2 + zip(head, qx).reduce(0) { $0 + $1.0 * $1.1 }
                guard a0 % 2 == 0, a0 != 0, qx[H - 1] != 0, rest % qx[H - 1] == 0, abs(rest / qx[H - 1]) <= 127 else { continue }
                let small = ints((H - 2) * H, -8...8)
                let others = (0..<(H - 2)).map { r in zip(small[(r * H)..<((r + 1) * H)], qx).reduce(0) { $0 + $1.0 * $1.1 } }
                guard others.allSatisfy({ abs($0) < abs(a0) }) else { continue }
                codes = row0 + head + [-rest / qx[H - 1]] + small
                break
            }
            let step: Float = 0.0123457
            let poolerWeight = Tensor(shape: [H, H], data: codes.map { Float($0) * step })
            XCTAssertEqual(try WeightQuantizer.quantizeWeights(poolerWeight, scheme: .q8bertWeight).int8Values!.map { Int32($0) },
                           codes, "the weight codes are the constructed ones")
            let zeros = Tensor(zeros: [1, H])
            let tensors: [String: Tensor] = [
                "embeddings.word_embeddings.weight": zeros, "embeddings.position_embeddings.weight": zeros,
                "embeddings.token_type_embeddings.weight": zeros,
                "embeddings.LayerNorm.weight": Tensor(zeros: [H]), "embeddings.LayerNorm.bias": Tensor(shape: [H], data: x),
                "pooler.dense.weight": poolerWeight, "pooler.dense.bias": Tensor(zeros: [H]),
                "classifier.weight": Tensor(shape: [2, H], data: (0..<(2 * H)).map { _ in rng.normal(std: 0.5) }),
                "classifier.bias": Tensor(shape: [2], data: [rng.normal(std: 0.1), rng.normal(std: 0.1)]),
            ]
            let model = try TrainableBert<Float>(config: config, tensors: tensors, hiddenDropout: 0, attentionDropout: 0)
            try model.attachQuantization(.q8bertDynamic)
            let simulated = try model.forward(batch, mode: .eval).logits
            let integer = try ModelQuantization.apply(.q8bertDynamic, to: model.engineModel(), calibrations: [:])
            let want = try integer.forward(batch).logits.data
            if simulated != want { mismatches += 1 }
            XCTAssertEqual(simulated, want, "seed \(seed)")
        }
        XCTAssertEqual(mismatches, 0, "of 32 constructed ties")
    }
}
