import _TestSupport
import BERT
import Checkpoints
import Foundation
import TensorCore
import Training
import XCTest

/// The whole classifier's loss and gradients: against PyTorch (`grads.safetensors`) and against finite differences.
final class ModelGradientTests: XCTestCase {
    let tiny = Fixtures.tinyBert

    /// The fixture's batch and labels (grads.json: first 4 MRPC train pairs, padded to the longest).
    func fixtureBatch() throws -> (BertBatch, [Int], [String: Any]) {
        let g = try Golden.load("tiny-random-bert/grads.json")
        let ids = Golden.ints(g["input_ids"]), types = Golden.ints(g["token_type_ids"])
        let mask = Golden.ints(g["attention_mask"])
        let batch = BertBatch(batch: ids.count, seq: ids[0].count, inputIds: ids.flatMap { $0 },
                              tokenTypeIds: types.flatMap { $0 }, attentionMask: mask.flatMap { $0 }.map { Float($0) })
        let labels = (g["labels"] as! [Any]).map { ($0 as! NSNumber).intValue }
        return (batch, labels, g)
    }

    /// Float32 (the training path) on one thread, so BLAS rounding is the same on every machine. PyTorch's own
    /// float32 gradients are off the float64 truth by up to 3.6e-5 (layer 1 query/key, small and cancelling).
    func testLossAndEveryGradientMatchPyTorch() throws {
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        try compareWithPyTorch(Float.self)
    }

    /// The same in float64: the remaining difference is PyTorch's float32 rounding.
    func testFloat64GradientsMatchPyTorch() throws {
        try compareWithPyTorch(Double.self)
    }

    func compareWithPyTorch<T: TrainingScalar>(_: T.Type) throws {
        let (batch, labels, golden) = try fixtureBatch()
        let model = try TrainableBert<T>(try BertModel.load(folder: tiny))
        let pass = try model.forward(batch, mode: .eval)
        let loss = model.backward(pass, labels: labels)
        let wantLoss = (golden["loss"] as! NSNumber).doubleValue
        XCTAssertEqual(loss, wantLoss, accuracy: 1e-5 * wantLoss, "loss")
        let logits = Golden.flat(golden["logits"])
        XCTAssertNil(Golden.worst(pass.logits.map { Float($0) }, logits, tol: 1e-5), "logits")

        let file = try SafeTensorsFile(url: tiny.appendingPathComponent("grads.safetensors"))
        var worst = (name: "", error: 0.0)
        var checked = 0
        let global = GradientClipping.globalNorm(model.parameters)
        for p in model.parameters {
            let key = p.name.hasPrefix("classifier.") ? p.name : "bert.\(p.name)"
            let want = try file.floatTensor(key)
            XCTAssertEqual(want.shape, p.shape, key)
            checked += 1
            let ours = p.grad.map(Double.init), theirs = want.data.map(Double.init)
            if p.name.hasSuffix("attention.self.key.bias") {
                // Softmax ignores a shift shared by all keys, so ∂loss/∂b_key = 0 exactly: both sides are rounding
                // noise (PyTorch's is ~1e-10). Check that ours is zero at the same scale.
                let norm = ours.reduce(0) { $0 + $1 * $1 }.squareRoot()
                XCTAssertLessThanOrEqual(norm, 1e-8 * global, key)
                continue
            }
            let err = GradientCheck.relativeError(ours, theirs)
            if err > worst.error { worst = (key, err) }
            XCTAssertLessThanOrEqual(err, 1e-4, "gradient of \(key): relative error \(err)")
        }
        XCTAssertEqual(checked, file.names.count, "every parameter of the fixture is compared")
        print(String(format: "PyTorch gradients (\(T.self)): %d tensors, loss %.7f vs %.7f, worst relative error %.3e (%@)",
                     checked, loss, wantLoss, worst.error, worst.name))
        // Sparse rows: exactly the token ids of the batch carry word-embedding gradient.
        let word = model.parameter(named: "embeddings.word_embeddings.weight")!
        XCTAssertEqual(word.touchedRows, Array(Set(batch.inputIds.map { Int($0) })).sorted())
    }

    func testEvalForwardMatchesInferenceEngine() throws {
        let (batch, _, _) = try fixtureBatch()
        let engine = try BertModel.load(folder: tiny)
        let model = try TrainableBert<Float>(engine)
        let want = try engine.forward(batch).logits.data
        XCTAssertNil(Golden.worst(try model.forward(batch, mode: .eval).logits, want, tol: 1e-5))
        // And the round trip back to an engine model is exact.
        XCTAssertEqual(try model.engineModel().forward(batch).logits.data, want)
    }

    /// A BERT small enough for finite differences over many parameters, in float64 with dropout on.
    func testWholeModelWithDropoutAgainstFiniteDifferences() throws {
        let config = BertConfiguration(vocabSize: 30, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                       intermediateSize: 12, maxPositionEmbeddings: 10)
        var tensors: [String: Tensor] = [:]
        for (name, t) in BertRandomInit.weights(config: config, seed: 5, std: 0.5) { tensors[BertWeightNames.sanitize(name)] = t }
        // Non-trivial LayerNorm parameters, so their gradients are exercised too.
        for (name, t) in tensors where name.contains("LayerNorm") {
            var rng = SeededRandom(seed: UInt64(name.count))
            tensors[name] = Tensor(shape: t.shape, data: t.data.map { $0 + 0.3 * rng.normal() })
        }
        let model = try TrainableBert<Double>(config: config, tensors: tensors, hiddenDropout: 0.2, attentionDropout: 0.2)
        let batch = BertBatch(sequences: [(ids: [2, 7, 9, 3, 4, 3], types: [0, 0, 0, 0, 1, 1]),
                                          (ids: [2, 11, 3, 5, 3], types: [0, 0, 0, 1, 1]),
                                          (ids: [2, 8, 3, 12, 29, 3], types: [0, 0, 0, 1, 1, 1])])
        let labels = [1, 0, 1]
        let mode = ForwardMode.train(seed: 99)
        // Word embeddings: the rows in the batch (others have zero gradient both ways); position: first 6 rows.
        let worst = try GradientCheck.wholeModel(model, batch: batch, labels: labels, mode: mode) { p in
            if p.name == "embeddings.word_embeddings.weight" {
                return p.touchedRows!.flatMap { r in (0..<8).map { r * 8 + $0 } }
            } else if p.name == "embeddings.position_embeddings.weight" {
                return Array(0..<(6 * 8))
            }
            return Array(0..<p.count)
        }
        print(String(format: "whole model (float64, dropout 0.2): %d tensors, worst relative error %.3e",
                     model.parameters.count, worst))
    }
}
