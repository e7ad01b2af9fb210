import _TestSupport
import Checkpoints
import Foundation
import TensorCore
import XCTest

/// Non-finite weights and logits, and classifiers that cannot score binary data, on the real binary: one error line
/// naming the tensor, the data file and line, or config.json and the key (exit 1, nothing written) unless
/// `--allow-nonfinite` is given; with it, predictions files stay JSON and `reproduce` reads them.
final class NonFiniteCLITests: XCTestCase {
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    /// Rewrites `folder/model.safetensors`, replacing the tensors `change` returns a value for.
    static func rewrite(_ folder: URL, _ change: (String, Tensor) -> Tensor?) throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var w = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names {
            let t = try file.floatTensor(name)
            try w.add(name, change(name, t) ?? t)
        }
        try w.write(to: url)
    }

    /// Sets `config.json` keys.
    static func setConfig(_ folder: URL, _ keys: [String: Any]) throws {
        let url = folder.appendingPathComponent("config.json")
        var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        for (k, v) in keys { cfg[k] = v }
        try JSONSerialization.data(withJSONObject: cfg).write(to: url)
    }

    /// A copy of the tiny model with finite weights whose logits overflow: the pooler's bias saturates its tanh at
    /// +1, and every classifier weight is 3e38, so each logit sums 3e38 over the hidden size (+Inf).
    static func overflowingModel() throws -> URL {
        let model = try CLI.tinyModelCopy()
        try rewrite(model) { name, t in
            if name.hasSuffix("pooler.dense.bias") { return Tensor(shape: t.shape, data: [Float](repeating: 1e4, count: t.count)) }
            if name.hasSuffix("classifier.weight") { return Tensor(shape: t.shape, data: [Float](repeating: 3e38, count: t.count)) }
            return nil
        }
        return model
    }

    func assertOneLineError(_ r: CLI.Result, mentions: [String], line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, line: line)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one error line: \(r.stderr)", line: line)
        for m in mentions { XCTAssertTrue(r.stderr.contains(m), "\"\(r.stderr)\" does not mention \(m)", line: line) }
        XCTAssertFalse(r.stderr.contains("Invalid number value"), r.stderr, line: line)
    }

    func testNonFiniteLogitsNameTheFirstExample() throws {
        let model = try Self.overflowingModel()
        let preds = try CLI.tempDir().appendingPathComponent("p.jsonl").path
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev, "--threads", "1", "--predictions", preds])
        assertOneLineError(r, mentions: ["dev.tsv:2", "example 0", "--allow-nonfinite"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: preds))
    }

    func testAllowNonFiniteWritesJSONPredictions() throws {
        let model = try Self.overflowingModel()
        let preds = try CLI.tempDir().appendingPathComponent("p.jsonl").path
        let r = try CLI.run(["eval", "--model", model.path, "--data", dev, "--threads", "1", "--predictions", preds,
                             "--allow-nonfinite", "--json"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOfFile: preds, encoding: .utf8)
        XCTAssertFalse(text.contains("nan,") || text.contains("nan]") || text.contains("inf,") || text.contains("inf]"),
                       "bare non-finite number in \(text.prefix(200))")
        let lines = text.split(separator: "\n")
        XCTAssertEqual(lines.count, 408)
        var nonFinite = 0
        for l in lines {
            let obj = try JSONSerialization.jsonObject(with: Data(l.utf8)) as! [String: Any]
            let logits = obj["logits"] as! [Any]
            nonFinite += logits.filter { ["NaN", "Infinity", "-Infinity"].contains($0 as? String ?? "") }.count
        }
        XCTAssertGreaterThan(nonFinite, 0, "the overflowing model should give non-finite logits")
    }

    func testNonFiniteWeightsNeedTheFlagOnEveryModelCommand() throws {
        let model = try CLI.tinyModelCopy()
        try Self.rewrite(model) { name, t in
            name.hasSuffix("encoder.layer.0.output.dense.bias")
                ? Tensor(shape: t.shape, data: [Float.infinity] + t.data.dropFirst()) : nil
        }
        let tmp = try CLI.tempDir()
        let commands: [[String]] = [
            ["eval", "--model", model.path, "--data", dev],
            ["quantize", "--model", model.path, "--scheme", "pytorch-dynamic", "--out", tmp.appendingPathComponent("q").path],
            ["stats", "--model", model.path, "--data", dev, "--scheme", "fp16", "--limit", "4",
             "--out", tmp.appendingPathComponent("s.h5").path],
            ["bench", "--model", model.path, "--data", dev, "--limit", "4", "--repeats", "1"],
            ["finetune", "--model", model.path, "--data", Fixtures.mrpc.path, "--out", tmp.appendingPathComponent("f").path,
             "--epochs", "1", "--train-examples", "8", "--eval-split", "none", "--threads", "1"],
            ["qat", "--model", model.path, "--scheme", "q8bert-dynamic", "--data", Fixtures.mrpc.path,
             "--out", tmp.appendingPathComponent("qat").path, "--epochs", "1", "--train-examples", "8", "--eval-split", "none", "--threads", "1"],
        ]
        for args in commands {
            let r = try CLI.run(args)
            assertOneLineError(r, mentions: [model.path, "encoder.layer.0.output.dense.bias", "inf", "--allow-nonfinite"])
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "\(args[0]) wrote something")
        }
        let q = tmp.appendingPathComponent("q").path
        let r = try CLI.run(["quantize", "--model", model.path, "--scheme", "fp16", "--out", q, "--allow-nonfinite"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: q + "/model.safetensors"))
    }

    func testSweepRecordsTheFlagAndReproduceReadsNonFinitePredictions() throws {
        let model = try Self.overflowingModel()
        let root = try CLI.tempDir()
        let config = root.appendingPathComponent("nf.yaml")
        try """
            name: nonfinite
            model: \(model.path)
            data: {path: \(dev), limit: 8}
            batching: {batch_size: 4, max_seq_length: 32}
            schemes: [fp16]
            threads: [1]
            repeats: 1
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["sweep", config.path])
        assertOneLineError(refused, mentions: ["dev.tsv:2", "example 0"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("runs").path + "/x")
                       || ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)) ?? []).count > 0)

        let r = try CLI.run(["sweep", config.path, "--allow-nonfinite"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let runs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        XCTAssertEqual(runs.count, 1)
        let folder = root.appendingPathComponent("runs").appendingPathComponent(runs[0])
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
            as! [String: Any]
        XCTAssertEqual(manifest["allow_nonfinite"] as? Bool, true)
        let preds = try String(contentsOf: folder.appendingPathComponent("predictions/fp32.threads-1.jsonl"), encoding: .utf8)
        XCTAssertTrue(preds.contains("\"Infinity\"") || preds.contains("\"-Infinity\"") || preds.contains("\"NaN\""), preds)
        _ = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json")))

        let again = try CLI.run(["reproduce", folder.path, "--allow-nonfinite"])
        XCTAssertEqual(again.status, 0, again.stdout + again.stderr)
        XCTAssertTrue(again.stdout.contains("result: all"), again.stdout)
        let strict = try CLI.run(["reproduce", folder.path])
        assertOneLineError(strict, mentions: ["example 0"])
    }

    /// A classifier with `labels` outputs, consistent with its weights.
    static func classifier(labels: Int, viaID2Label: Bool) throws -> URL {
        let model = try CLI.tinyModelCopy()
        let hidden = (try JSONSerialization.jsonObject(with: Data(contentsOf: model.appendingPathComponent("config.json")))
            as! [String: Any])["hidden_size"] as! Int
        try rewrite(model) { name, t in
            if name.hasSuffix("classifier.weight") {
                return Tensor(shape: [labels, hidden], data: (0..<(labels * hidden)).map { Float($0 % 7) * 0.01 })
            }
            if name.hasSuffix("classifier.bias") { return Tensor(shape: [labels], data: [Float](repeating: 0, count: labels)) }
            return nil
        }
        if viaID2Label {
            try setConfig(model, ["id2label": Dictionary(uniqueKeysWithValues: (0..<labels).map { ("\($0)", "L\($0)") })])
            let url = model.appendingPathComponent("config.json")
            var cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            cfg.removeValue(forKey: "num_labels")
            try JSONSerialization.data(withJSONObject: cfg).write(to: url)
        } else {
            try setConfig(model, ["num_labels": labels, "id2label": NSNull()])
        }
        return model
    }

    func testClassifierWithOneOrThreeLabelsIsRefusedOnBinaryData() throws {
        for (labels, viaID2Label, key) in [(3, false, "num_labels"), (1, false, "num_labels"), (3, true, "id2label")] {
            let model = try Self.classifier(labels: labels, viaID2Label: viaID2Label)
            let tmp = try CLI.tempDir()
            for args in [["eval", "--model", model.path, "--data", dev],
                         ["stats", "--model", model.path, "--data", dev, "--scheme", "fp16", "--out", tmp.appendingPathComponent("s.h5").path],
                         ["finetune", "--model", model.path, "--data", Fixtures.mrpc.path, "--out", tmp.appendingPathComponent("f").path,
                          "--epochs", "1", "--train-examples", "8", "--eval-split", "none", "--threads", "1"]] {
                let r = try CLI.run(args)
                assertOneLineError(r, mentions: ["config.json", "key \(key)", "\(labels) label", "expected 2"])
                XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [])
            }
        }
    }
}
