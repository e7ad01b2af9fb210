import _TestSupport
import BERT
import Datasets
import Foundation
import TensorCore
import Training
import XCTest

/// The training loop learns, keeps the best epoch, and writes folders the engine reloads.
final class FineTunerTests: XCTestCase {
    func smallModel(seed: UInt64 = 3) throws -> TrainableBert<Float> {
        let config = BertConfiguration(vocabSize: 40, hiddenSize: 16, numHiddenLayers: 2, numAttentionHeads: 2,
                                       intermediateSize: 32, maxPositionEmbeddings: 16)
        var tensors: [String: Tensor] = [:]
        for (n, t) in BertRandomInit.weights(config: config, seed: seed) { tensors[BertWeightNames.sanitize(n)] = t }
        return try TrainableBert<Float>(config: config, tensors: tensors)
    }

    /// Label = whether token 7 occurs: a few epochs of AdamW fit it.
    func syntheticTask(count: Int, seed: UInt64) -> [TrainingExample] {
        var rng = SeededRandom(seed: seed)
        return (0..<count).map { i in
            let label = i % 2
            var body = (0..<(3 + Int(rng.next() % 5))).map { _ in Int32(8 + rng.next() % 30) }
            if label == 1 { body[Int(rng.next() % UInt64(body.count))] = 7 }
            let ids: [Int32] = [2] + body + [3]
            return TrainingExample(inputIds: ids, tokenTypeIds: [Int32](repeating: 0, count: ids.count), label: label)
        }
    }

    func testLearnsASyntheticTaskAndKeepsTheBestEpoch() throws {
        let model = try smallModel()
        var options = FineTuneOptions()
        options.epochs = 16
        options.learningRate = 3e-3
        options.batchSize = 8
        options.weightDecay = 0
        let tuner = try FineTuner(model: model, options: options)
        let train = syntheticTask(count: 64, seed: 1), held = syntheticTask(count: 64, seed: 2)
        let heldBatch = BertBatch(sequences: held.map { ($0.inputIds, $0.tokenTypeIds) })
        var scores: [Double] = []
        let result = try tuner.run(examples: train) { m in
            let logits = try m.forward(heldBatch, mode: .eval).logits
            let predictions = (0..<held.count).map { logits[2 * $0 + 1] > logits[2 * $0] ? 1 : 0 }
            let metrics = ClassificationMetrics(predictions: predictions, labels: held.map(\.label))
            scores.append(metrics.f1)
            return metrics
        }
        print("synthetic task: loss", result.epochs.map(\.meanLoss), "F1", scores)
        XCTAssertEqual(result.epochs.count, 16)
        XCTAssertLessThan(result.epochs.last!.meanLoss, 0.5 * result.epochs.first!.meanLoss, "loss falls")
        XCTAssertGreaterThan(scores.max()!, 0.9, "held-out F1 \(scores)")
        let bestF1 = scores.max()!
        XCTAssertEqual(result.bestEpoch, scores.firstIndex(of: bestF1)! + 1, "the first epoch with the best F1 is kept")
        XCTAssertEqual(result.epochs.filter(\.isBest).last?.epoch, result.bestEpoch)
    }

    func testFolderRoundTripReproducesLogits() throws {
        let model = try smallModel()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("train-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        let base = tmp.appendingPathComponent("base")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        try (0..<40).map { "tok\($0)" }.joined(separator: "\n").write(to: base.appendingPathComponent("vocab.txt"), atomically: true, encoding: .utf8)
        let raw = try JSONSerialization.jsonObject(with: JSONEncoder().encode(model.config)) as! [String: Any]
        let out = tmp.appendingPathComponent("out")
        try ClassifierFolder.write(tensors: model.tensors(), config: ClassifierFolder.classifierConfig(base: raw, numLabels: 2),
                                   vocabularyFrom: base, to: out)
        let loaded = try BertModel.load(folder: out)
        let batch = BertBatch(sequences: syntheticTask(count: 4, seed: 9).map { ($0.inputIds, $0.tokenTypeIds) })
        XCTAssertEqual(try loaded.forward(batch).logits.data, try model.engineModel().forward(batch).logits.data)
        XCTAssertThrowsError(try ClassifierFolder.write(tensors: model.tensors(), config: [:], vocabularyFrom: base, to: out)) {
            XCTAssertTrue("\($0)".contains("already exists"), "\($0)")
        }
        // Reading it back as a base needs no fresh tensors.
        let again = try ClassifierFolder.loadBase(folder: out, seed: 0)
        XCTAssertEqual(again.freshlyInitialized, [])
    }
}
