import _TestSupport
import BERT
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
}
