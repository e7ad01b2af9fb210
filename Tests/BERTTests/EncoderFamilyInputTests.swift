import _TestSupport
import BERT
import Checkpoints
import Foundation
import TensorCore
import XCTest

/// Bad encoder folders: an unknown or not-yet-supported `model_type`, a checkpoint with a tensor the configuration
/// does not use or without one it needs — one line naming the file and the key or tensor.
final class EncoderFamilyInputTests: XCTestCase {
    var temporary: TemporaryDirectory!
    var dir: URL { temporary.url }
    var made = 0

    override func setUpWithError() throws { temporary = try TemporaryDirectory(prefix: "encoder-input") }
    override func tearDown() { temporary = nil }

    func assertBERTError(_ fragments: [String], line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("no error; expected one mentioning \(fragments)", line: line)
        } catch let error as BERTError {
            let text = error.description
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", line: line)
            for f in fragments where !text.contains(f) { XCTFail("\"\(text)\" does not mention \"\(f)\"", line: line) }
        } catch {
            XCTFail("expected a BERTError, got \(type(of: error)): \(error)", line: line)
        }
    }

    /// A copy of fixture `family`'s config.json and weights in `dir`, with `edit` applied to the config's JSON object.
    func folder(_ family: String, edit: (inout [String: Any]) -> Void = { _ in }) throws -> URL {
        let src = Fixtures.fixtures.appendingPathComponent("encoders/\(family)")
        made += 1
        let out = dir.appendingPathComponent("\(family)-\(made)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: src.appendingPathComponent("config.json")))
            as! [String: Any]
        edit(&config)
        try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
            .write(to: out.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: src.appendingPathComponent("model.safetensors"),
                                         to: out.appendingPathComponent("model.safetensors"))
        return out
    }

    func testUnknownModelTypeNamesConfigAndKey() throws {
        let f = try folder("roberta") { $0["model_type"] = "gpt2" }
        assertBERTError([f.appendingPathComponent("config.json").path, "model_type", "gpt2", "roberta"]) {
            _ = try BertModel.load(folder: f)
        }
        let wrongType = try folder("electra") { $0["model_type"] = 7 }
        assertBERTError(["config.json", "model_type"]) { _ = try BertModel.load(folder: wrongType) }
    }

    /// DeBERTa (v1) is known but not run yet; DeBERTa-v2 options it does not implement are refused by key.
    func testNotYetSupportedFamiliesAndOptionsAreRefusedByKey() throws {
        let v1 = try folder("deberta-v2") { $0["model_type"] = "deberta" }
        assertBERTError([v1.appendingPathComponent("config.json").path, "model_type deberta is not supported yet"]) {
            _ = try BertModel.load(folder: v1)
        }
        for (key, value) in [("conv_kernel_size", 3 as Any), ("relative_attention", false), ("pos_att_type", ["p2p"]),
                             ("pooler_hidden_size", 32)] {
            let f = try folder("deberta-v2") { $0[key] = value }
            assertBERTError(["config.json", "\"\(key)\""]) { _ = try BertModel.load(folder: f) }
        }
    }

    /// Each family's own key names in messages (DistilBERT's `dim`, not `hidden_size`).
    func testDistilBertErrorsUseItsKeyNames() throws {
        let f = try folder("distilbert") { $0["n_heads"] = 5 }
        assertBERTError(["config.json", "\"n_heads\"", "dim"]) { _ = try BertModel.load(folder: f) }
        let act = try folder("distilbert") { $0["activation"] = "swish" }
        assertBERTError(["config.json", "\"activation\"", "swish"]) { _ = try BertModel.load(folder: act) }
    }

    /// Weights of `family` with `edit` applied to the tensors (by checkpoint name), loaded with the fixture's config.
    func load(_ family: String, edit: (inout [String: Tensor]) -> Void) throws -> BertModel {
        let src = Fixtures.fixtures.appendingPathComponent("encoders/\(family)")
        let file = try SafeTensorsFile(url: src.appendingPathComponent("model.safetensors"))
        var tensors: [String: Tensor] = [:]
        for n in file.names { tensors[n] = try file.floatTensor(n) }
        edit(&tensors)
        let config = try BertConfiguration.load(src.appendingPathComponent("config.json"))
        return try BertModel.load(config: config, weights: MemorySource(tensors), name: src.path,
                                  weightsFile: "model.safetensors")
    }

    func testUnusedTensorIsRefusedNamingFileAndTensor() throws {
        // A pooler on RoBERTa is a known harmless extra; on DistilBERT (no pooler) it is not; an MLM head never is.
        XCTAssertNoThrow(try load("roberta") { $0["roberta.pooler.dense.weight"] = Tensor(zeros: [64, 64]) })
        XCTAssertNoThrow(try load("bert-cased") { $0["bert.embeddings.position_ids"] = Tensor(zeros: [1, 160]) })
        assertBERTError(["model.safetensors", "distilbert.pooler.dense.weight", "not used"]) {
            _ = try load("distilbert") { $0["distilbert.pooler.dense.weight"] = Tensor(zeros: [64, 64]) }
        }
        assertBERTError(["model.safetensors", "lm_head.bias", "not used"]) {
            _ = try load("roberta") { $0["lm_head.bias"] = Tensor(zeros: [2000]) }
        }
        // DeBERTa-v2 without position_biased_input: a position table is ignored (as transformers does), a token
        // type table with type_vocab_size 0 is not.
        XCTAssertNoThrow(try load("deberta-v2") { $0["deberta.embeddings.position_embeddings.weight"] = Tensor(zeros: [160, 64]) })
        assertBERTError(["model.safetensors", "deberta.embeddings.token_type_embeddings.weight"]) {
            _ = try load("deberta-v2") { $0["deberta.embeddings.token_type_embeddings.weight"] = Tensor(zeros: [2, 64]) }
        }
        // A third layer's tensors in a 2-layer config.
        assertBERTError(["model.safetensors", "electra.encoder.layer.2.attention.self.query.weight"]) {
            _ = try load("electra") { $0["electra.encoder.layer.2.attention.self.query.weight"] = Tensor(zeros: [64, 64]) }
        }
        // A second ALBERT group that num_hidden_groups = 1 never runs.
        assertBERTError(["model.safetensors", "albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.bias"]) {
            _ = try load("albert") { $0["albert.encoder.albert_layer_groups.1.albert_layers.0.ffn.bias"] = Tensor(zeros: [256]) }
        }
    }

    func testMissingTensorIsRefusedNamingFileAndTensor() throws {
        assertBERTError(["model.safetensors", "classifier.out_proj.weight"]) {
            _ = try load("xlm-roberta") { $0["classifier.out_proj.weight"] = nil }
        }
        assertBERTError(["model.safetensors", "embeddings_project.bias", "electra.embeddings_project.bias"]) {
            _ = try load("electra") { $0["electra.embeddings_project.bias"] = nil }
        }
        assertBERTError(["model.safetensors", "pre_classifier.weight"]) {
            _ = try load("distilbert") { $0["pre_classifier.weight"] = nil }
        }
        // ALBERT's embedding width comes from embedding_size: a wrong one names the key.
        let f = try folder("albert") { $0["embedding_size"] = 48 }
        assertBERTError(["config.json", "embedding_size"]) { _ = try BertModel.load(folder: f) }
    }

    /// RoBERTa's longest sequence is max_position_embeddings − pad_token_id − 1.
    func testRobertaRefusesSequencesPastItsPositionTable() throws {
        let model = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("encoders/roberta"))
        let ids = [Int32](repeating: 5, count: 161)
        XCTAssertThrowsError(try model.forward(BertBatch(sequences: [(ids, ids.map { _ in 0 })], padId: 1)))
        let ok = [Int32](repeating: 5, count: 160)
        XCTAssertNoThrow(try model.forward(BertBatch(sequences: [(ok, ok.map { _ in 0 })], padId: 1)))
    }
}
