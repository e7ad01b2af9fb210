import _TestSupport
import Checkpoints
import Foundation
import TensorCore
import XCTest

/// `qbench quantize`, `qbench model init` and scheme errors, end to end on the real binary.
final class QuantizeCLITests: XCTestCase {
    let tiny = Fixtures.tinyBert.path
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path
    let mrpc = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path

    /// A quantized folder evaluates to exactly the logits of quantizing on the fly.
    func testQuantizedFolderReproducesOnTheFlyLogits() throws {
        for scheme in ["pytorch-dynamic", "pytorch-dynamic-per-channel", "q8bert-static", "int4-per-group", "fp16"] {
            let tmp = try CLI.tempDir()
            let out = tmp.appendingPathComponent("q").path
            let q = try CLI.run(["quantize", "--model", tiny, "--scheme", scheme, "--out", out, "--data", mrpc,
                                 "--calibration-examples", "16"])
            XCTAssertEqual(q.status, 0, q.stderr)
            let a = try CLI.run(["eval", "--model", out, "--data", dev, "--threads", "1", "--json",
                                 "--predictions", tmp.appendingPathComponent("a.jsonl").path])
            XCTAssertEqual(a.status, 0, a.stderr)
            let b = try CLI.run(["eval", "--model", tiny, "--scheme", scheme, "--data", dev, "--threads", "1",
                                 "--calibration-data", mrpc, "--calibration-examples", "16", "--json",
                                 "--predictions", tmp.appendingPathComponent("b.jsonl").path])
            XCTAssertEqual(b.status, 0, b.stderr)
            let pa = try String(contentsOf: tmp.appendingPathComponent("a.jsonl"), encoding: .utf8)
            let pb = try String(contentsOf: tmp.appendingPathComponent("b.jsonl"), encoding: .utf8)
            XCTAssertEqual(pa, pb, "\(scheme): reloaded logits differ from on-the-fly quantization")
            let ja = try JSONSerialization.jsonObject(with: Data(a.stdout.utf8)) as! [String: Any]
            XCTAssertEqual(ja["scheme"] as? String, scheme)
        }
    }

    func testScaleShapeMismatchIsRejected() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("q")
        XCTAssertEqual(try CLI.run(["quantize", "--model", tiny, "--scheme", "pytorch-dynamic", "--out", out.path]).status, 0)
        // Rewrite the file with a per-tensor weight given two scales.
        let url = out.appendingPathComponent("model.safetensors")
        let f = try SafeTensorsFile(url: url)
        var w = SafeTensorsWriter(metadata: f.metadata)
        for name in f.names {
            let info = try f.info(name)
            if name == "classifier.weight_scale" {
                try w.add(name, Tensor(shape: [2], data: [0.1, 0.1]))
            } else {
                try w.add(name, dtype: info.dtype, shape: info.shape, bytes: try f.rawBytes(name))
            }
        }
        let bytes = try w.serialized()
        try FileManager.default.removeItem(at: url)
        try bytes.write(to: url)
        let r = try CLI.run(["eval", "--model", out.path, "--data", dev])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("classifier.weight_scale"), r.stderr)
    }

    func testUnknownSchemeListsRegisteredNames() throws {
        let r = try CLI.run(["eval", "--model", tiny, "--data", dev, "--scheme", "int3-magic"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("int3-magic"), r.stderr)
        XCTAssertTrue(r.stderr.contains("pytorch-dynamic") && r.stderr.contains("q8bert-static"), r.stderr)
    }

    func testSchemeFileWithBadBitsAndBadRange() throws {
        let tmp = try CLI.tempDir()
        let base = try CLI.run(["schemes", "pytorch-dynamic"])
        XCTAssertEqual(base.status, 0, base.stderr)
        for (key, value, expect) in [("\"bits\" : 8", "\"bits\" : 9", "bits"), ("\"qmax\" : 127", "\"qmax\" : -128", "qm")] {
            let text = base.stdout.replacingOccurrences(of: key, with: value)
            XCTAssertNotEqual(text, base.stdout, "pattern \(key) not found in scheme JSON")
            let file = tmp.appendingPathComponent("s.json")
            try text.write(to: file, atomically: true, encoding: .utf8)
            let r = try CLI.run(["eval", "--model", tiny, "--data", dev, "--scheme", file.path])
            XCTAssertNotEqual(r.status, 0)
            XCTAssertTrue(r.stderr.contains("s.json") && r.stderr.contains(expect), r.stderr)
        }
    }

    /// SmoothQuant and PEG schemes that a quantized folder or QAT cannot hold: one line naming the scheme or the key, non-zero
    /// exit, no output folder.
    func testSchemesQuantizeAndQATCannotHoldAreOneLineAndWriteNothing() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("out")
        let cases: [([String], String)] = [
            (["quantize", "--model", tiny, "--scheme", "smoothquant-pytorch-dynamic", "--out", out.path],
             "smoothquant-pytorch-dynamic"),
            (["qat", "--model", tiny, "--data", Fixtures.mrpc.path, "--scheme", "smoothquant-q8bert-static", "--out", out.path,
              "--train-examples", "8", "--epochs", "1"], "smoothquant-q8bert-static"),
            (["qat", "--model", tiny, "--data", Fixtures.mrpc.path, "--scheme", "peg6", "--out", out.path,
              "--train-examples", "8", "--epochs", "1"], "activation.granularity"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            let lines = r.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            XCTAssertEqual(lines.count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(args): nothing written")
        }
    }

    func testModelInitWritesLoadableModel() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("m").path
        let r = try CLI.run(["model", "init", "--preset", "bert-tiny", "--seed", "3", "--out", out])
        XCTAssertEqual(r.status, 0, r.stderr)
        let e = try CLI.run(["eval", "--model", out, "--data", dev, "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        // Same seed → same bytes.
        let out2 = tmp.appendingPathComponent("m2").path
        XCTAssertEqual(try CLI.run(["model", "init", "--preset", "bert-tiny", "--seed", "3", "--out", out2]).status, 0)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: out + "/model.safetensors")),
                       try Data(contentsOf: URL(fileURLWithPath: out2 + "/model.safetensors")))
    }

    func testMissingTensorAndWrongShape() throws {
        for mode in ["missing", "shape"] {
            let model = try CLI.tinyModelCopy()
            let url = model.appendingPathComponent("model.safetensors")
            let f = try SafeTensorsFile(url: url)
            var w = SafeTensorsWriter()
            for name in f.names {
                if name == "bert.pooler.dense.bias" {
                    if mode == "missing" { continue }
                    try w.add(name, Tensor(zeros: [3]))
                    continue
                }
                let info = try f.info(name)
                try w.add(name, dtype: info.dtype, shape: info.shape, bytes: try f.rawBytes(name))
            }
            let bytes = try w.serialized()
            try FileManager.default.removeItem(at: url)
            try bytes.write(to: url)
            let r = try CLI.run(["eval", "--model", model.path, "--data", dev])
            XCTAssertNotEqual(r.status, 0, mode)
            XCTAssertTrue(r.stderr.contains("pooler.dense.bias"), r.stderr)
            if mode == "shape" { XCTAssertTrue(r.stderr.contains("[3]") && r.stderr.contains("[64]"), r.stderr) }
        }
    }

    /// A scheme file with a misspelt key is refused, naming the file, line and key path (as inline schemes are).
    func testSchemeFileWithMisspeltKeyIsRejected() throws {
        let tmp = try CLI.tempDir()
        let yaml = tmp.appendingPathComponent("typo.yaml")
        try "name: typo\ndefault:\n  weight: {bits: 8, signed: true, symmetric: true}\n  activaton: {bits: 8, signed: false, symmetric: false}\n"
            .write(to: yaml, atomically: true, encoding: .utf8)
        let json = tmp.appendingPathComponent("typo.json")
        try #"{"name": "typo", "default": {"weight": {"bits": 8, "signed": true, "symetric": true}}}"#
            .write(to: json, atomically: true, encoding: .utf8)
        for (file, key) in [(yaml, "default.activaton"), (json, "default.weight.symetric")] {
            let out = tmp.appendingPathComponent("q-\(file.lastPathComponent)")
            let r = try CLI.run(["quantize", "--model", tiny, "--scheme", file.path, "--out", out.path])
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains(file.path) && r.stderr.contains("key \(key): unknown key"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
    }

    /// A temporary folder a killed `quantize` left beside `--out` is removed by the next run.
    func testAbandonedTemporaryOfAKilledRunIsRemoved() throws {
        let tmp = try CLI.tempDir()
        let stale = tmp.appendingPathComponent(".q.partial-2147483000-00000000-0000-0000-0000-000000000000")
        try FileManager.default.createDirectory(at: stale, withIntermediateDirectories: true)
        try Data("x".utf8).write(to: stale.appendingPathComponent("model.safetensors"))
        let r = try CLI.run(["quantize", "--model", tiny, "--scheme", "pytorch-dynamic", "--out", tmp.appendingPathComponent("q").path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), ["q"])
    }
}
