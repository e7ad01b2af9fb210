import _TestSupport
import BERT
import Datasets
import Experiments
import TensorCore
import XCTest

/// Tokenizer + batching + forward against PyTorch on MRPC dev.
final class EvaluatorGoldenTests: XCTestCase {
    static let minilm = Fixtures.shared.appendingPathComponent("models/minilm-l6-mrpc")

    /// Tokenizer + batching + forward end to end: the first 64 dev pairs, batch 8 padded to 128, like the golden.
    func testMiniLMFirst64DevLogitsMatchPyTorch() throws {
        let g = try Golden.load("logits-minilm-l6-mrpc-dev-first64.json")
        let folder = try ModelFolder(path: Self.minilm.path)
        let data = try PairDataset.load(path: Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path)
        let first = PairDataset(path: data.path, examples: Array(data.examples.prefix(64)))
        let opts = BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: true)
        let enc = Evaluator.encode(first, tokenizer: folder.tokenizer, maxLength: 128)
        let result = try Evaluator.run(model: folder.model, batches: Evaluator.batches(enc, options: opts, padId: 0),
                                       labels: first.labels)
        let want = Golden.flat(g["fp32"])
        if let bad = Golden.worst(result.logits.flatMap { $0 }, want, tol: 1e-4) {
            XCTFail("logit \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
        let wantPred = Golden.matrix(g["fp32"]).map { $0[1] > $0[0] ? 1 : 0 }
        XCTAssertEqual(result.predictions, wantPred)
    }

    /// All 408 dev pairs: F1 and accuracy equal to PyTorch's (finetune.json: F1 0.863717, acc 0.811275 = 331/408).
    func testMiniLMFullDevMetricsMatchPyTorch() throws {
        let folder = try ModelFolder(path: Self.minilm.path)
        let data = try PairDataset.load(path: Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path)
        let enc = Evaluator.encode(data, tokenizer: folder.tokenizer, maxLength: 128)
        let result = try Evaluator.run(model: folder.model, batches: Evaluator.batches(enc, options: BatchingOptions(), padId: 0),
                                       labels: data.labels)
        XCTAssertEqual(result.metrics!.f1, 0.863716814159292, accuracy: 1e-9)
        XCTAssertEqual(result.metrics!.accuracy, 0.8112745098039216, accuracy: 1e-9)
    }
}
