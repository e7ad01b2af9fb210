import _TestSupport
import BERT
import Checkpoints
import Foundation
import TensorCore
import XCTest

/// Hostile `config.json` values and weights: one error naming the file and the key or tensor, never a trap.
final class ConfigValidationTests: XCTestCase {

    var temporary: TemporaryDirectory!
    var dir: URL { temporary.url }

    override func setUpWithError() throws { temporary = try TemporaryDirectory(prefix: "bertcfg") }
    override func tearDown() { temporary = nil }

    /// The tiny fixture's config.json with `key` set to the JSON text `value` (or removed when nil).
    func config(_ key: String, _ value: String?) throws -> URL {
        var text = try String(contentsOf: Fixtures.tinyBert.appendingPathComponent("config.json"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: "\"\(NSRegularExpression.escapedPattern(for: key))\": [^,\\n]*")
        let range = NSRange(text.startIndex..., in: text)
        XCTAssertNotNil(pattern.firstMatch(in: text, range: range), "fixture has no \(key)")
        text = pattern.stringByReplacingMatches(in: text, range: range, withTemplate: value.map { "\"\(key)\": \($0)" } ?? "\"unused_\(key)\": 0")
        let url = dir.appendingPathComponent("config.json")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

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

    func testFixtureConfigIsValid() throws {
        let c = try BertConfiguration.load(try config("vocab_size", "1000"))
        XCTAssertEqual(c.vocabSize, 1000)
    }

    func testLayerNormEps() throws {
        for bad in ["0", "-1e-12"] {
            let url = try config("layer_norm_eps", bad)
            assertBERTError(["config.json", "layer_norm_eps"]) { _ = try BertConfiguration.load(url) }
        }
    }

    func testPadTokenIdMustBeInTheVocabulary() throws {
        for bad in ["-1", "1000", "5000"] {
            let url = try config("pad_token_id", bad)
            assertBERTError(["config.json", "pad_token_id", bad]) { _ = try BertConfiguration.load(url) }
        }
    }

    func testDropoutProbabilities() throws {
        for key in ["hidden_dropout_prob", "attention_probs_dropout_prob", "classifier_dropout"] {
            for bad in ["1.0", "-0.1", "7"] {
                let url = try config(key, bad)
                assertBERTError(["config.json", key]) { _ = try BertConfiguration.load(url) }
            }
        }
        _ = try BertConfiguration.load(try config("classifier_dropout", "null"))
        _ = try BertConfiguration.load(try config("hidden_dropout_prob", "0"))
    }

    func testSizesAndHeads() throws {
        for (key, bad) in [("hidden_size", "0"), ("num_hidden_layers", "-2"), ("vocab_size", "0"),
                           ("intermediate_size", "0"), ("max_position_embeddings", "0"), ("num_attention_heads", "5")] {
            let url = try config(key, bad)
            assertBERTError(["config.json", key]) { _ = try BertConfiguration.load(url) }
        }
    }

    /// A copy of the tiny fixture folder with `config.json` replaced by `configURL`.
    func folder(config configURL: URL) throws -> URL {
        let out = dir.appendingPathComponent("model")
        try? FileManager.default.removeItem(at: out)
        try FileManager.default.copyItem(at: Fixtures.tinyBert, to: out)
        try FileManager.default.removeItem(at: out.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: configURL, to: out.appendingPathComponent("config.json"))
        return out
    }

    func testTensorShapesThatDisagreeWithTheConfig() throws {
        for (key, value) in [("intermediate_size", "128"), ("vocab_size", "999"), ("max_position_embeddings", "256")] {
            let f = try folder(config: try config(key, value))
            assertBERTError(["config.json", key]) { _ = try BertModel.load(folder: f) }
        }
    }

    /// A copy of the tiny fixture whose `tensor` has a non-finite value at index 3.
    func folder(withNonFinite value: Float, in tensor: String) throws -> URL {
        let f = try folder(config: Fixtures.tinyBert.appendingPathComponent("config.json"))
        let url = f.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var w = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names {
            let info = try file.info(name)
            var bytes = try file.rawBytes(name)
            if name == tensor {
                XCTAssertEqual(info.dtype, .f32)
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange(12..<16, with: $0) }
            }
            try w.add(name, dtype: info.dtype, shape: info.shape, bytes: bytes)
        }
        try w.write(to: url)
        return f
    }

    func testNonFiniteWeightsAreRefusedUnlessAllowed() throws {
        let names = try SafeTensorsFile(url: Fixtures.tinyBert.appendingPathComponent("model.safetensors")).names
        let tensor = try XCTUnwrap(names.first { $0.hasSuffix("encoder.layer.1.output.dense.weight") })
        for value in [Float.nan, .infinity, -.infinity] {
            let f = try folder(withNonFinite: value, in: tensor)
            assertBERTError(["model.safetensors", tensor]) { _ = try BertModel.load(folder: f) }
            let model = try BertModel.load(folder: f, allowNonFinite: true)
            XCTAssertEqual(model.config.hiddenSize, 64)
        }
    }
}
