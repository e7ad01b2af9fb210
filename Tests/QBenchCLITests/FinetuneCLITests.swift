import _TestSupport
import Checkpoints
import Foundation
import TensorCore
import XCTest

/// `qbench finetune` end to end on the tiny random BERT (seconds per test).
final class FinetuneCLITests: XCTestCase {
    let tiny = Fixtures.tinyBert.path
    let mrpc = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    func testWritesTransformersFolderThatEvalReads() throws {
        let out = try CLI.tempDir().appendingPathComponent("ft")
        let r = try CLI.run(["finetune", "--model", tiny, "--data", mrpc, "--out", out.path, "--train-examples", "32",
                             "--epochs", "2", "--batch-size", "8", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("epoch 1/2: loss"), r.stdout)
        XCTAssertTrue(r.stdout.contains("epoch 2/2: loss"), r.stdout)
        XCTAssertTrue(r.stdout.contains("dev F1"), r.stdout)
        XCTAssertFalse(r.stdout.contains("initialised fresh"), "the fixture has a classifier head")
        for f in ["config.json", "model.safetensors", "vocab.txt", "finetune.json"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.appendingPathComponent(f).path), f)
        }
        let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("config.json"))) as! [String: Any]
        XCTAssertEqual(cfg["architectures"] as? [String], ["BertForSequenceClassification"])
        XCTAssertEqual(cfg["model_type"] as? String, "bert")
        XCTAssertEqual(cfg["num_labels"] as? Int, 2)
        let st = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
        XCTAssertEqual(st.names.count, 41)
        XCTAssertTrue(st.names.allSatisfy { $0.hasPrefix("bert.") || $0.hasPrefix("classifier.") }, "\(st.names)")
        XCTAssertEqual(st.metadata["format"], "pt")
        // The best epoch's F1 as printed is what `qbench eval` measures on the written folder.
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent("finetune.json"))) as! [String: Any]
        let best = record["best_epoch"] as! Int
        let f1 = ((record["epochs"] as! [[String: Any]])[best - 1]["dev_f1"] as! NSNumber).doubleValue
        let e = try CLI.run(["eval", "--model", out.path, "--data", dev, "--threads", "1", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((obj["f1"] as! NSNumber).doubleValue, f1, accuracy: 1e-9)
    }

    /// A bare encoder (no pooler, no classifier) gets a seeded HF-style head, says so, and the run reproduces.
    func testBaseWithoutHeadGetsFreshSeededHeadAndReproduces() throws {
        let base = try CLI.tinyModelCopy()
        let file = base.appendingPathComponent("model.safetensors")
        let src = try SafeTensorsFile(url: file)
        var w = SafeTensorsWriter(metadata: ["format": "pt"])
        for name in src.names where !name.contains("pooler") && !name.hasPrefix("classifier") {
            try w.add(String(name.dropFirst("bert.".count)), try src.floatTensor(name))
        }
        try FileManager.default.removeItem(at: file)
        try w.write(to: file)
        var outputs: [Data] = []
        for _ in 0..<2 {
            let out = try CLI.tempDir().appendingPathComponent("ft")
            let r = try CLI.run(["finetune", "--model", base.path, "--data", mrpc, "--out", out.path, "--train-examples", "16",
                                 "--epochs", "1", "--batch-size", "8", "--eval-split", "none", "--threads", "1", "--seed", "7"])
            XCTAssertEqual(r.status, 0, r.stderr)
            XCTAssertTrue(r.stdout.contains("has no pooler.dense.weight, pooler.dense.bias, classifier.weight, classifier.bias"), r.stdout)
            XCTAssertTrue(r.stdout.contains("initialised fresh"), r.stdout)
            XCTAssertTrue(r.stdout.contains("seed 7"), r.stdout)
            outputs.append(try Data(contentsOf: out.appendingPathComponent("model.safetensors")))
            let st = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
            XCTAssertTrue(st.names.contains("classifier.weight") && st.names.contains("bert.pooler.dense.weight"))
        }
        XCTAssertEqual(outputs[0], outputs[1], "same seed, same threads: identical weights")
    }

    func testMalformedTrainingRowNamesTheLineAndWritesNothing() throws {
        let tmp = try CLI.tempDir()
        let task = tmp.appendingPathComponent("task")
        try FileManager.default.createDirectory(at: task, withIntermediateDirectories: true)
        try "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta b\tc d\n0\t3\tjust three\n"
            .write(to: task.appendingPathComponent("train.tsv"), atomically: true, encoding: .utf8)
        let out = tmp.appendingPathComponent("ft")
        let r = try CLI.run(["finetune", "--model", tiny, "--data", task.path, "--out", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("train.tsv, line 3"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    func testInterruptedRunLeavesNoFolder() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("ft")
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["finetune", "--model", tiny, "--data", mrpc, "--out", out.path, "--epochs", "50",
                       "--train-examples", "64", "--eval-split", "none", "--threads", "1"]
        p.currentDirectoryURL = Fixtures.projectRoot
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = FileHandle.nullDevice
        try p.run()
        // Wait until training has started (the first epoch line), then interrupt.
        var seen = ""
        while !seen.contains("epoch 1/50") {
            let d = pipe.fileHandleForReading.availableData
            if d.isEmpty { break }
            seen += String(decoding: d, as: UTF8.self)
        }
        p.interrupt()
        p.waitUntilExit()
        XCTAssertNotEqual(p.terminationStatus, 0, "interrupted before finishing")
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        XCTAssertEqual(left, [], "nothing at --out, no temporary folder: \(left)")
    }

    func testExistingOutputIsRefused() throws {
        let out = try CLI.tempDir()
        let r = try CLI.run(["finetune", "--model", tiny, "--data", mrpc, "--out", out.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("already exists"), r.stderr)
    }
}

/// `qbench qat` end to end on the tiny random BERT.
final class QatCLITests: XCTestCase {
    let tiny = Fixtures.tinyBert.path
    let mrpc = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    /// The learned ranges land in a quantized folder that `eval --scheme` runs on the integer kernels, giving the
    /// F1 the run reported.
    func testStaticSchemeWritesLearnedRangesThatEvalUses() throws {
        let out = try CLI.tempDir().appendingPathComponent("qat")
        let r = try CLI.run(["qat", "--model", tiny, "--scheme", "q8bert-static", "--out", out.path, "--data", mrpc,
                             "--train-examples", "16", "--epochs", "1", "--batch-size", "8", "--threads", "1",
                             "--calibration-examples", "16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("| post-training q8bert-static |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| QAT q8bert-static (epoch 1) |"), r.stdout)
        let st = try SafeTensorsFile(url: out.appendingPathComponent("model.safetensors"))
        let cal = try JSONSerialization.jsonObject(with: Data(st.metadata["quantbench.calibration"]!.utf8)) as! [String: Any]
        XCTAssertEqual(cal.count, 14, "every linear layer has learned input/output ranges")
        let line = r.stdout.split(separator: "\n").first { $0.hasPrefix("| QAT") }!
        let f1 = Double(line.split(separator: "|")[1].trimmingCharacters(in: .whitespaces))!
        let e = try CLI.run(["eval", "--model", out.path, "--scheme", "q8bert-static", "--data", dev, "--threads", "1", "--json"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let obj = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        XCTAssertEqual((obj["f1"] as! NSNumber).doubleValue, f1, accuracy: 5e-5)
        XCTAssertEqual(obj["scheme"] as? String, "q8bert-static")
    }

    func testDynamicSchemeAndBadScheme() throws {
        let out = try CLI.tempDir().appendingPathComponent("qat")
        let r = try CLI.run(["qat", "--model", tiny, "--scheme", "pytorch-dynamic", "--out", out.path, "--data", mrpc,
                             "--train-examples", "8", "--epochs", "1", "--eval-split", "none", "--threads", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let e = try CLI.run(["eval", "--model", out.path, "--scheme", "pytorch-dynamic", "--data", dev, "--threads", "1"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let bad = try CLI.run(["qat", "--model", tiny, "--scheme", "no-such-scheme", "--out", out.path + "2", "--data", mrpc])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.stderr.contains("no-such-scheme"), bad.stderr)
        let fp32 = try CLI.run(["qat", "--model", tiny, "--scheme", "fp32", "--out", out.path + "3", "--data", mrpc])
        XCTAssertNotEqual(fp32.status, 0)
        XCTAssertTrue(fp32.stderr.contains("quantizes nothing"), fp32.stderr)
    }

    /// A config.json whose dropout is out of range: one error naming the file and key, no crash, no output.
    func testOutOfRangeDropoutIsAnErrorNamingTheKey() throws {
        let model = try CLI.tinyModelCopy()
        let url = model.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        config["attention_probs_dropout_prob"] = 1.5
        try JSONSerialization.data(withJSONObject: config).write(to: url)
        let out = model.deletingLastPathComponent().appendingPathComponent("ft")
        for command in ["finetune", "qat"] {
            var args = [command, "--model", model.path, "--data", mrpc, "--out", out.path, "--train-examples", "16",
                        "--threads", "1"]
            if command == "qat" { args += ["--scheme", "pytorch-dynamic"] }
            let r = try CLI.run(args)
            XCTAssertEqual(r.status, 1, "\(command): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("config.json") && r.stderr.contains("attention_probs_dropout_prob"), "\(command): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
    }
}
