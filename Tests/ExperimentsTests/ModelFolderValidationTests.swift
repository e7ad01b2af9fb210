import _TestSupport
import BERT
import Checkpoints
import Experiments
import Foundation
import Quantization
import XCTest

/// Model folders whose files disagree with each other or hold non-finite weights: one error naming the files.
final class ModelFolderValidationTests: XCTestCase {

    var temporary: TemporaryDirectory!
    var root: URL { temporary.url }

    override func setUpWithError() throws { temporary = try TemporaryDirectory(prefix: "mfolder") }
    override func tearDown() { temporary = nil }

    func copyOfTiny() throws -> URL {
        let out = root.appendingPathComponent("tiny")
        try FileManager.default.copyItem(at: Fixtures.tinyBert, to: out)
        return out
    }

    func assertFails(_ fragments: [String], line: UInt = #line, _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("no error; expected one mentioning \(fragments)", line: line)
        } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "not one line: \(text)", line: line)
            for f in fragments where !text.contains(f) { XCTFail("\"\(text)\" does not mention \"\(f)\"", line: line) }
        }
    }

    /// A vocab.txt one line short of vocab_size would shift every id after the gap.
    func testVocabularyLineCountMustMatchVocabSize() throws {
        let folder = try copyOfTiny()
        let vocab = folder.appendingPathComponent("vocab.txt")
        var lines = try String(contentsOf: vocab, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        lines.remove(at: 500)
        try lines.joined(separator: "\n").write(to: vocab, atomically: true, encoding: .utf8)
        assertFails(["config.json", "vocab_size", "vocab.txt", "999", "1000"]) { _ = try ModelFolder(path: folder.path) }
    }

    /// Overwrites element 0 of `tensor` in `folder/model.safetensors` with `value`.
    func poison(_ folder: URL, _ tensor: String, _ value: Float) throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var w = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names {
            let info = try file.info(name)
            var bytes = try file.rawBytes(name)
            if name == tensor {
                withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.replaceSubrange(0..<4, with: $0) }
            }
            try w.add(name, dtype: info.dtype, shape: info.shape, bytes: bytes)
        }
        try w.write(to: url)
    }

    func testNonFiniteWeightsInAModelFolder() throws {
        let folder = try copyOfTiny()
        let tensor = try XCTUnwrap(try SafeTensorsFile(url: folder.appendingPathComponent("model.safetensors")).names
            .first { $0.hasSuffix("embeddings.LayerNorm.weight") })
        try poison(folder, tensor, .nan)
        assertFails(["model.safetensors", tensor]) { _ = try ModelFolder(path: folder.path) }
        XCTAssertNoThrow(try ModelFolder(path: folder.path, allowNonFinite: true))
    }

    func testNonFiniteWeightsInAQuantizedFolder() throws {
        let out = root.appendingPathComponent("q")
        try QuantizedCheckpoint.write(model: try BertModel.load(folder: Fixtures.tinyBert), scheme: .pytorchDynamic,
                                      calibrations: [:], source: Fixtures.tinyBert, to: out)
        let tensor = "encoder.layer.0.attention.self.query.bias"
        try poison(out, tensor, .infinity)
        assertFails(["model.safetensors", tensor]) { _ = try ModelFolder(path: out.path) }
        XCTAssertNoThrow(try ModelFolder(path: out.path, allowNonFinite: true))
    }
}
