import _TestSupport
import Foundation
import XCTest

/// Every decoder of a user file speaks one way: one line naming the file and the key (or line), what was expected
/// and what was found, quoting at most ~80 characters of the input.
final class MessagesCLITests: XCTestCase {
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    func assertMessage(_ r: CLI.Result, mentions: [String], line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "expected one line: \(r.stderr)", line: line)
        XCTAssertLessThan(r.stderr.count, 600, "message too long: \(r.stderr.prefix(300))…", line: line)
        for m in mentions { XCTAssertTrue(r.stderr.contains(m), "\"\(r.stderr)\" does not mention \(m)", line: line) }
        XCTAssertFalse(r.stderr.contains("The given data was not valid JSON"), r.stderr, line: line)
    }

    /// Replaces `key` of the JSON object at `url` by the raw JSON text `raw`.
    func setRaw(_ url: URL, key: String, raw: String) throws {
        var text = try String(contentsOf: url, encoding: .utf8)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [String: Any]
        precondition(object[key] != nil, "no \(key) in \(url.path)")
        var o = object
        o[key] = "__RAW__"
        text = String(decoding: try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys]), as: UTF8.self)
        try text.replacingOccurrences(of: "\"__RAW__\"", with: raw).write(to: url, atomically: true, encoding: .utf8)
    }

    func testConfigJSONNumbersNameTheKey() throws {
        for (key, raw, expect) in [("hidden_size", "2.5", "expected an integer, got 2.5"),
                                   ("num_hidden_layers", "1e30", "out of range"),
                                   ("layer_norm_eps", "1e400", "1e400")] {
            let model = try CLI.tinyModelCopy()
            try setRaw(model.appendingPathComponent("config.json"), key: key, raw: raw)
            let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
            assertMessage(r, mentions: ["config.json", expect] + (key == "layer_norm_eps" ? [] : [key]))
        }
    }

    func testTruncatedConfigSaysItIsNotJSONWithoutDumpingIt() throws {
        let model = try CLI.tinyModelCopy()
        let url = model.appendingPathComponent("config.json")
        try ("{\"hidden_act\": \"" + String(repeating: "gelu", count: 2000)).write(to: url, atomically: true, encoding: .utf8)
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
        assertMessage(r, mentions: ["config.json", "not valid JSON"])
    }

    func testRunFolderJSONNumbersNameTheKey() throws {
        let folder = try ExportCLITests.sweep()
        let root = try CLI.tempDir()
        for (file, key, raw, path) in [("manifest.json", "threads", "[2.5]", "threads[0]"),
                                       ("manifest.json", "seed", "-1.5", "seed"),
                                       ("results.json", "examples", "24.5", "examples")] {
            let dir = root.appendingPathComponent("\(file)-\(key)")
            try FileManager.default.copyItem(at: folder, to: dir)
            try setRaw(dir.appendingPathComponent(file), key: key, raw: raw)
            for args in [["export", dir.path, "--notebook", root.appendingPathComponent("x.ipynb").path], ["reproduce", dir.path]] {
                let r = try CLI.run(args)
                assertMessage(r, mentions: [file, "key \(path)", "got \(raw.trimmingCharacters(in: CharacterSet(charactersIn: "[]")))"])
            }
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("x.ipynb").path))
    }

    func testPredictionsLineNamesTheProblem() throws {
        let folder = try ExportCLITests.sweep()
        let dir = try CLI.tempDir().appendingPathComponent("run")
        try FileManager.default.copyItem(at: folder, to: dir)
        let url = dir.appendingPathComponent("predictions/fp32.threads-1.jsonl")
        var lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[1] = lines[1].replacingOccurrences(of: "\"prediction\":", with: "\"prediction\":0.5,\"x\":")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        let r = try CLI.run(["reproduce", dir.path])
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stdout.contains("line 2 is not a prediction record: key prediction: expected an integer, got 0.5"),
                      r.stdout)
    }

    func testSafetensorsHeaderNumbersNameTheTensor() throws {
        let model = try CLI.tinyModelCopy()
        let url = model.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: url)
        let n = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        var header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        // The first data_offsets pair gets a fractional end (same length, so the header size is unchanged).
        let r0 = header.range(of: "\"data_offsets\":[")!
        let end = header[r0.upperBound...].firstIndex(of: "]")!
        let numbers = header[r0.upperBound..<end]
        let second = numbers.split(separator: ",")[1]
        let replacement = String(second.dropLast(2)) + ".5"
        header.replaceSubrange(r0.upperBound..<end, with: numbers.replacingOccurrences(of: second, with: replacement))
        bytes.replaceSubrange(8..<(8 + n), with: Data(header.utf8))
        try bytes.write(to: url)
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
        assertMessage(r, mentions: ["model.safetensors", "tensor", "data_offsets must hold integers, got", ".5"])
    }

    func testQuantizedMetadataNumbersNameTheKey() throws {
        let out = try CLI.tempDir().appendingPathComponent("q")
        let q = try CLI.run(["quantize", "--model", Fixtures.tinyBert.path, "--scheme", "pytorch-dynamic", "--out", out.path])
        XCTAssertEqual(q.status, 0, q.stderr)
        let url = out.appendingPathComponent("model.safetensors")
        var bytes = try Data(contentsOf: url)
        let n = Int(bytes.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self).littleEndian })
        let header = String(decoding: bytes[8..<(8 + n)], as: UTF8.self)
        // "bits\":8 inside the scheme's JSON string → "bits\":8.5 would change the length; 8 → 9 keeps it, so
        // use a same-length change to an out-of-type value: qmax 127 → 1.5.
        guard header.contains(#"\"qmax\":127"#) else { throw CLI.Failure("no qmax 127 in the metadata: \(header.prefix(300))") }
        let patched = header.replacingOccurrences(of: #"\"qmax\":127"#, with: #"\"qmax\":1.5"#)
        bytes.replaceSubrange(8..<(8 + n), with: Data(patched.utf8))
        try bytes.write(to: url)
        let r = try CLI.run(["eval", "--model", out.path, "--data", dev])
        assertMessage(r, mentions: ["model.safetensors", "quantbench.scheme", "qmax", "expected an integer, got 1.5"])
    }

    func testLongInputIsQuotedShort() throws {
        let tmp = try CLI.tempDir()
        let tsv = tmp.appendingPathComponent("long.tsv")
        try ("Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n" + String(repeating: "7", count: 5000) + "\t1\t2\ta\tb\n")
            .write(to: tsv, atomically: true, encoding: .utf8)
        assertMessage(try CLI.run(["eval", "--model", Fixtures.tinyBert.path, "--data", tsv.path]),
                      mentions: ["long.tsv, line 2", "label", "…"])
        let yaml = tmp.appendingPathComponent("long.yaml")
        try ("name: x\nmodel: \(Fixtures.tinyBert.path)\ndata: {path: \(dev)}\nthreads: "
             + String(repeating: "z", count: 5000) + "\n").write(to: yaml, atomically: true, encoding: .utf8)
        assertMessage(try CLI.run(["sweep", yaml.path, "--dry-run"]), mentions: ["long.yaml:4", "key threads", "…"])
        let scheme = tmp.appendingPathComponent("s.yaml")
        try ("name: " + String(repeating: "n", count: 5000) + "\n").write(to: scheme, atomically: true, encoding: .utf8)
        let s = try CLI.run(["eval", "--model", Fixtures.tinyBert.path, "--data", dev, "--scheme", scheme.path])
        XCTAssertEqual(s.status, 1, s.stderr)
        XCTAssertLessThan(s.stderr.count, 600, s.stderr.prefix(300) + "…")
    }
}
