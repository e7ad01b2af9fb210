import BERT
import Foundation
import TensorCore
import Training
import XCTest

/// AdamW, gradient clipping, the learning-rate schedule and seeded shuffling.
final class OptimizerTests: XCTestCase {
    /// torch.optim.AdamW's `_single_tensor_adamw`, written out for one scalar.
    func referenceAdamW(p0: Double, grads: [Double], lrs: [Double], decay: Double) -> Double {
        var p = p0, m = 0.0, v = 0.0
        for (t, (g, lr)) in zip(grads, lrs).enumerated() {
            p *= 1 - lr * decay
            m = 0.9 * m + 0.1 * g
            v = 0.999 * v + 0.001 * g * g
            let step = Double(t + 1)
            let denom = (v.squareRoot() / (1 - pow(0.999, step)).squareRoot()) + 1e-8
            p -= lr / (1 - pow(0.9, step)) * m / denom
        }
        return p
    }

    func testAdamWMatchesPyTorchAlgorithmAndSkipsDecayOnBiases() {
        let weight = Parameter<Double>(name: "classifier.weight", shape: [2, 2], value: [0.5, -1, 2, 0], decays: true)
        let bias = Parameter<Double>(name: "classifier.bias", shape: [2], value: [0.25, -0.5], decays: false)
        let opt = AdamW(parameters: [weight, bias], weightDecay: 0.1)
        let grads: [[Double]] = [[0.3, -0.2, 1e-3, 0, 0.7, -0.1], [-0.1, 0.4, 2e-3, 0.5, 0.1, 0.2], [0.2, 0.2, -1e-3, -0.5, 0, 0]]
        let lrs = [1e-2, 5e-3, 2e-3]
        for (g, lr) in zip(grads, lrs) {
            weight.grad = Array(g[0..<4])
            bias.grad = Array(g[4..<6])
            opt.update(lr: lr)
        }
        let initial = [0.5, -1, 2, 0, 0.25, -0.5]
        let got = weight.value + bias.value
        for i in 0..<6 {
            let want = referenceAdamW(p0: initial[i], grads: grads.map { $0[i] }, lrs: lrs, decay: i < 4 ? 0.1 : 0)
            XCTAssertEqual(got[i], want, accuracy: 1e-15, "element \(i)")
        }
        XCTAssertEqual(opt.step, 3)
        // First Adam step moves each parameter by ≈ lr·sign(g).
        let p = Parameter<Double>(name: "w", shape: [2], value: [1, 1], decays: false)
        p.grad = [1e-3, -5]
        AdamW(parameters: [p]).update(lr: 0.1)
        XCTAssertEqual(p.value[0], 0.9, accuracy: 1e-6)
        XCTAssertEqual(p.value[1], 1.1, accuracy: 1e-6)
    }

    func testGlobalNormClipping() {
        let a = Parameter<Float>(name: "a", shape: [2], value: [0, 0], decays: true)
        let b = Parameter<Float>(name: "b", shape: [1], value: [0], decays: true)
        a.grad = [3, 0]
        b.grad = [4]
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 10), 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad, [3, 0], "below the threshold: unchanged")
        XCTAssertEqual(GradientClipping.clip([a, b], maxNorm: 1), 5, accuracy: 1e-6)
        XCTAssertEqual(a.grad[0], 0.6, accuracy: 1e-6)
        XCTAssertEqual(b.grad[0], 0.8, accuracy: 1e-6)
        XCTAssertEqual(GradientClipping.globalNorm([a, b]), 1, accuracy: 1e-5)
    }

    func testRowSparseEmbeddingGradients() throws {
        let config = BertConfiguration(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 1, numAttentionHeads: 2,
                                       intermediateSize: 12, maxPositionEmbeddings: 10)
        var tensors: [String: Tensor] = [:]
        for (n, t) in BertRandomInit.weights(config: config, seed: 1) { tensors[BertWeightNames.sanitize(n)] = t }
        let model = try TrainableBert<Float>(config: config, tensors: tensors)
        let batch = BertBatch(sequences: [(ids: [2, 7, 3], types: [0, 0, 0]), (ids: [2, 9, 9, 3], types: [0, 0, 1, 1])])
        model.backward(try model.forward(batch, mode: .train(seed: 1)), labels: [0, 1])
        let word = model.parameter(named: "embeddings.word_embeddings.weight")!
        XCTAssertEqual(word.touchedRows, [0, 2, 3, 7, 9], "padding id 0 is looked up too")
        let dense = word.grad.reduce(0.0) { $0 + Double($1) * Double($1) }
        XCTAssertEqual(word.gradientSquaredNorm(), dense, accuracy: 1e-12 * max(1, dense))
        XCTAssertGreaterThan(dense, 0)
        model.zeroGradients()
        XCTAssertEqual(word.touchedRows, [])
        XCTAssertTrue(word.grad.allSatisfy { $0 == 0 })
        XCTAssertTrue(model.parameters.allSatisfy { $0.grad.allSatisfy { $0 == 0 } })
    }

    func testLinearWarmupAndDecay() {
        let s = LearningRateSchedule(baseLR: 1, warmupRatio: 0.1, totalSteps: 100)
        XCTAssertEqual(s.warmupSteps, 10)
        XCTAssertEqual(s.lr(atStep: 0), 0)
        XCTAssertEqual(s.lr(atStep: 5), 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.lr(atStep: 10), 1, accuracy: 1e-12)
        XCTAssertEqual(s.lr(atStep: 55), 0.5, accuracy: 1e-12)
        XCTAssertEqual(s.lr(atStep: 100), 0)
        XCTAssertEqual(LearningRateSchedule(baseLR: 1, warmupRatio: 0.1, totalSteps: 690).warmupSteps, 69)
    }

    func testSeededShuffle() {
        let a = SeededShuffle.permutation(count: 100, seed: 42, epoch: 0)
        XCTAssertEqual(a.sorted(), Array(0..<100))
        XCTAssertEqual(a, SeededShuffle.permutation(count: 100, seed: 42, epoch: 0), "reproducible")
        XCTAssertNotEqual(a, SeededShuffle.permutation(count: 100, seed: 42, epoch: 1), "new order each epoch")
        XCTAssertNotEqual(a, SeededShuffle.permutation(count: 100, seed: 43, epoch: 0), "seed matters")
        XCTAssertNotEqual(a, Array(0..<100))
    }
}
