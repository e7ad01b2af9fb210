import BERT
import Datasets
import Experiments
import TensorCore
import Tokenization
import XCTest

/// FP32 forward against PyTorch goldens (../shared/fixtures, PyTorch 2.15 / transformers 5.24).
final class BertGoldenTests: XCTestCase {
    static let minilm = Fixtures.shared.appendingPathComponent("models/minilm-l6-mrpc")

    func batch(from g: [String: Any]) -> BertBatch {
        let ids = Golden.ints(g["input_ids"]), types = Golden.ints(g["token_type_ids"]), mask = Golden.ints(g["attention_mask"])
        return BertBatch(batch: ids.count, seq: ids[0].count, inputIds: ids.flatMap { $0 },
                         tokenTypeIds: types.flatMap { $0 }, attentionMask: mask.flatMap { $0 }.map(Float.init))
    }

    func testTinyRandomBertSafetensorsMatchesGolden() throws {
        let g = try Golden.load("tiny-random-bert/golden.json")
        let model = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("tiny-random-bert"))
        let out = try model.forward(batch(from: g), hiddenStates: true)
        if let bad = Golden.worst(out.logits.data, Golden.flat(g["logits"]), tol: 1e-4) {
            XCTFail("logit \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
        if let bad = Golden.worst(out.hiddenStates!.last!.data, Golden.flat(g["last_hidden_state"]), tol: 1e-4) {
            XCTFail("last hidden state \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
    }

    func testPyTorchBinGivesIdenticalLogits() throws {
        let g = try Golden.load("tiny-random-bert/golden.json")
        let a = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("tiny-random-bert"))
        let b = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("tiny-random-bert-pytorch-bin"))
        let input = batch(from: g)
        XCTAssertEqual(try a.forward(input).logits.data, try b.forward(input).logits.data)
    }

    func testMiniLMHiddenStatesMatchPyTorch() throws {
        let g = try Golden.load("hidden-states-minilm-l6-mrpc-dev-first2.json")
        let model = try BertModel.load(folder: Self.minilm)
        let out = try model.forward(batch(from: g), hiddenStates: true)
        let want = Golden.flat(g["hidden_states"])
        let got = out.hiddenStates!.flatMap(\.data)
        XCTAssertEqual(out.hiddenStates!.count, 7)
        if let bad = Golden.worst(got, want, tol: 1e-4) {
            XCTFail("hidden state value \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
        if let bad = Golden.worst(out.logits.data, Golden.flat(g["logits"]), tol: 1e-4) {
            XCTFail("logit \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
    }

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
