import _TestSupport
import Foundation
import XCTest

/// `qbench` reads a model folder's own tokenizer (tokenizer.json first) and stops on a bad one with one line.
final class TokenizerCLITests: XCTestCase {
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path
    let cased = Fixtures.fixtures.appendingPathComponent("encoders/bert-cased")

    func copyOfCased() throws -> URL {
        let dir = try CLI.tempDir().appendingPathComponent("bert-cased")
        try FileManager.default.copyItem(at: cased, to: dir)
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            chmod(dir.appendingPathComponent(f).path, 0o644)
        }
        return dir
    }

    /// An unsupported normalizer: non-zero exit, one error line naming tokenizer.json and the component, no output.
    func testUnsupportedTokenizerComponentIsOneLine() throws {
        let model = try copyOfCased()
        let json = model.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: json, encoding: .utf8)
        XCTAssertTrue(text.contains("\"type\": \"BertNormalizer\""))
        try text.replacingOccurrences(of: "\"type\": \"BertNormalizer\"", with: "\"type\": \"FancyNormalizer\"")
            .write(to: json, atomically: true, encoding: .utf8)
        let preds = model.deletingLastPathComponent().appendingPathComponent("p.jsonl").path
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev, "--predictions", preds])
        XCTAssertNotEqual(r.status, 0)
        let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains(json.path), r.stderr)
        XCTAssertTrue(r.stderr.contains("normalizer.type: unsupported normalizer type 'FancyNormalizer'"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: preds), "no output file on error")
    }

    /// `qbench quantize` copies the tokenizer files into the quantized folder, which then evaluates on its own.
    func testQuantizedFolderKeepsTheTokenizerFiles() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("q").path
        let q = try CLI.run(["quantize", "--model", cased.path, "--scheme", "pytorch-dynamic", "--out", out])
        XCTAssertEqual(q.status, 0, q.stderr)
        let files = try FileManager.default.contentsOfDirectory(atPath: out)
        for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt"] {
            XCTAssertTrue(files.contains(name), "\(name) missing from \(files)")
        }
        let e = try CLI.run(["eval", "--model", out, "--data", dev, "--threads", "1", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as? [String: Any]
        XCTAssertEqual(obj?["examples"] as? Int, 408)
    }
}
