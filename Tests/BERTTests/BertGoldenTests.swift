import _TestSupport
import BERT
import Checkpoints
import TensorCore
import Tokenization
import XCTest

/// FP32 forward against PyTorch goldens (`Tests/Fixtures`, made by `Tools/goldens/make_goldens.py` with PyTorch and
/// transformers; versions in each file's `source`).
final class BertGoldenTests: XCTestCase {
    func batch(from g: [String: Any]) -> BertBatch {
        let ids = Golden.ints(g["input_ids"]), types = Golden.ints(g["token_type_ids"]), mask = Golden.ints(g["attention_mask"])
        return BertBatch(batch: ids.count, seq: ids[0].count, inputIds: ids.flatMap { $0 },
                         tokenTypeIds: types.flatMap { $0 }, attentionMask: mask.flatMap { $0 }.map(Float.init))
    }

    func testTinyRandomBertSafetensorsMatchesGolden() throws {
        let g = try Golden.load("tiny-random-bert/golden.json")
        let model = try BertModel.load(folder: Fixtures.tinyBert)
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
        let a = try BertModel.load(folder: Fixtures.tinyBert)
        let b = try BertModel.load(folder: Fixtures.tinyBertPyTorchBin)
        let input = batch(from: g)
        XCTAssertEqual(try a.forward(input).logits.data, try b.forward(input).logits.data)
    }

    /// The public MiniLM base with the seeded head: every hidden state (embeddings + 6 layers) of the first 2 dev
    /// pairs (padded to the longer) and the logits, against transformers.
    func testMiniLMHiddenStatesMatchPyTorch() throws {
        let folder = try BaseModel.classifier()
        let g = try Golden.load("minilm-base-head/hidden-states-dev-first2.json")
        let want = try SafeTensorsFile(url: BaseModel.goldens.appendingPathComponent("hidden-states-dev-first2.safetensors"))
            .floatTensor("hidden_states")
        let model = try BertModel.load(folder: folder)
        let out = try model.forward(batch(from: g), hiddenStates: true)
        XCTAssertEqual(out.hiddenStates!.count, 7)
        XCTAssertEqual(want.shape.first, 7)
        let got = out.hiddenStates!.flatMap(\.data)
        if let bad = Golden.worst(got, want.data, tol: 1e-4) {
            XCTFail("hidden state value \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
        if let bad = Golden.worst(out.logits.data, Golden.flat(g["logits"]), tol: 1e-4) {
            XCTFail("logit \(bad.index): got \(bad.got), PyTorch \(bad.want)")
        }
    }
}
