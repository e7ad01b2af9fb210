import _TestSupport
import Foundation
import XCTest

/// End-to-end tests of `qbench eval` on the real binary.
final class EvalCLITests: XCTestCase {
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    func testJSONContractOnTinyModel() throws {
        let tmp = try CLI.tempDir()
        let preds = tmp.appendingPathComponent("p.jsonl").path
        let r = try CLI.run(["eval", "--model", Fixtures.tinyBert.path,
                             "--data", dev, "--threads", "1", "--json", "--predictions", preds])
        XCTAssertEqual(r.status, 0, r.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        for key in ["f1", "accuracy", "examples", "seconds", "threads", "blas_core", "scheme", "model_mb"] {
            XCTAssertNotNil(obj[key], "missing \(key) in \(r.stdout)")
        }
        XCTAssertEqual(obj["examples"] as? Int, 408)
        let lines = try String(contentsOfFile: preds, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 408)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as! [String: Any]
        XCTAssertEqual(first["index"] as? Int, 0)
        XCTAssertEqual(first["label"] as? Int, 1)
        XCTAssertEqual((first["logits"] as? [Double])?.count, 2)
    }

    func testUnreadableDataPath() throws {
        let r = try CLI.run(["eval", "--model", Fixtures.tinyBert.path,
                             "--data", "/nonexistent/dev.tsv"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("/nonexistent/dev.tsv"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
    }

    func testTSVRowWithThreeColumns() throws {
        let tmp = try CLI.tempDir()
        let bad = tmp.appendingPathComponent("bad.tsv")
        try "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta b\tc d\n0\t3\tjust three\n"
            .write(to: bad, atomically: true, encoding: .utf8)
        let preds = tmp.appendingPathComponent("p.jsonl").path
        let r = try CLI.run(["eval", "--model", Fixtures.tinyBert.path,
                             "--data", bad.path, "--predictions", preds])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.tsv, line 3"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: preds), "no output file on error")
    }

    func testConfigWithStringWhereNumberBelongs() throws {
        let model = try CLI.tinyModelCopy()
        let cfgURL = model.appendingPathComponent("config.json")
        var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: cfgURL)) as! [String: Any]
        cfg["hidden_size"] = "sixty-four"
        try JSONSerialization.data(withJSONObject: cfg).write(to: cfgURL)
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("config.json"), r.stderr)
        XCTAssertTrue(r.stderr.contains("hidden_size"), r.stderr)
    }

    func testTruncatedSafetensors() throws {
        let model = try CLI.tinyModelCopy()
        let st = model.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: st)
        try data.prefix(data.count / 2).write(to: st)
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("model.safetensors"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
    }

    func testHeaderOffsetsPastEndOfFile() throws {
        let model = try CLI.tinyModelCopy()
        let st = model.appendingPathComponent("model.safetensors")
        let data = try Data(contentsOf: st)
        let n = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        var header = try JSONSerialization.jsonObject(with: data[8..<(8 + n)]) as! [String: Any]
        var entry = header["classifier.bias"] as! [String: Any]
        entry["data_offsets"] = [100_000_000, 100_000_008]
        header["classifier.bias"] = entry
        // A new header (offsets are relative to the data section, so its length may change), padded to 8 bytes.
        var h = try JSONSerialization.data(withJSONObject: header)
        while h.count % 8 != 0 { h.append(0x20) }
        var length = UInt64(h.count).littleEndian
        var patched = Data(bytes: &length, count: 8)
        patched.append(h)
        patched.append(data[(8 + n)...])
        try patched.write(to: st)
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("model.safetensors"), r.stderr)
        XCTAssertTrue(r.stderr.contains("classifier.bias"), r.stderr)
    }
}
