import _TestSupport
import BERT
import Datasets
import Experiments
import RunRecords
import TensorCore
import XCTest

/// Tokenizer + batching + forward against PyTorch on MRPC dev, on the public MiniLM base with the seeded head
/// (`BaseModel.classifier()`; goldens in `Tests/Fixtures/minilm-base-head`).
final class EvaluatorGoldenTests: XCTestCase {
    /// Tokenizer + batching + forward end to end: the first 64 dev pairs, batch 8 padded to 128, like the golden.
    func testMiniLMFirst64DevLogitsMatchPyTorch() throws {
        let g = try Golden.load("minilm-base-head/logits-dev-first64.json")
        let folder = try ModelFolder(path: try BaseModel.classifier().path)
        let data = try PairDataset.load(path: Fixtures.mrpc.path)
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

    /// All 408 dev pairs (batch 8, padded to 128): every prediction, F1 and accuracy equal to PyTorch's.
    func testMiniLMFullDevMetricsMatchPyTorch() throws {
        let g = try Golden.load("minilm-base-head/dev-metrics.json")
        let fp32 = try XCTUnwrap(g["fp32"] as? [String: Any])
        let folder = try ModelFolder(path: try BaseModel.classifier().path)
        let data = try PairDataset.load(path: Fixtures.mrpc.path)
        XCTAssertEqual(data.count, 408)
        let enc = Evaluator.encode(data, tokenizer: folder.tokenizer, maxLength: 128)
        let result = try Evaluator.run(model: folder.model, batches: Evaluator.batches(enc, options: BatchingOptions(), padId: 0),
                                       labels: data.labels)
        let want = (fp32["predictions"] as! [NSNumber]).map(\.intValue)
        XCTAssertEqual(zip(result.predictions, want).filter { $0 != $1 }.count, 0, "predictions that differ from PyTorch")
        XCTAssertEqual(result.metrics!.f1, (fp32["f1"] as! NSNumber).doubleValue, accuracy: 1e-9)
        XCTAssertEqual(result.metrics!.accuracy, (fp32["accuracy"] as! NSNumber).doubleValue, accuracy: 1e-9)
    }
}
