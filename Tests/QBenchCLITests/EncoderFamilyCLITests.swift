import _TestSupport
import Checkpoints
import Foundation
import XCTest

/// `qbench` on the encoder-family fixtures: eval and quantize logits against transformers end to end (DistilBERT and
/// ELECTRA), `finetune` → `eval` → `qat` → `eval --scheme` on RoBERTa, XLM-R and DistilBERT, and the one-line
/// refusal of training for ELECTRA, ALBERT and DeBERTa-v2.
final class EncoderFamilyCLITests: XCTestCase {
    func fixture(_ family: String) -> String { Fixtures.fixtures.appendingPathComponent("encoders/\(family)").path }

    /// The first 16 MRPC dev pairs (the goldens' pairs) as a TSV.
    func first16() throws -> String {
        let dev = try String(contentsOf: Fixtures.mrpc.appendingPathComponent("dev.tsv"), encoding: .utf8)
        let lines = dev.split(separator: "\n", omittingEmptySubsequences: false).prefix(17)
        let url = try CLI.tempDir().appendingPathComponent("first16.tsv")
        try (lines.joined(separator: "\n") + "\n").write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    /// Logits from an `eval --predictions` JSONL file.
    func logits(_ path: String) throws -> [[Float]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return (o["logits"] as! [NSNumber]).map(\.floatValue)
        }
    }

    func assertClose(_ got: [[Float]], _ want: [[Float]], tol: Float, _ what: String) {
        XCTAssertEqual(got.count, want.count, what)
        if let bad = Golden.worst(got.flatMap { $0 }, want.flatMap { $0 }, tol: tol) {
            XCTFail("\(what): logit \(bad.index) is \(bad.got), PyTorch \(bad.want)")
        }
    }

    func testEvalAndQuantizeMatchTransformersEndToEnd() throws {
        let data = try first16()
        for family in ["distilbert", "electra"] {
            let g = try EncoderGolden.fixture(family)
            let dir = try CLI.tempDir()
            let predictions = dir.appendingPathComponent("fp32.jsonl").path
            let e = try CLI.run(["eval", "--model", fixture(family), "--data", data, "--threads", "1",
                                 "--predictions", predictions])
            XCTAssertEqual(e.status, 0, e.stderr)
            assertClose(try logits(predictions), g.fp32, tol: 1e-4, "\(family) eval FP32")

            let out = dir.appendingPathComponent("q").path
            let q = try CLI.run(["quantize", "--model", fixture(family), "--scheme", "pytorch-dynamic", "--out", out])
            XCTAssertEqual(q.status, 0, q.stderr)
            let qp = dir.appendingPathComponent("q.jsonl").path
            let eq = try CLI.run(["eval", "--model", out, "--data", data, "--threads", "1", "--predictions", qp])
            XCTAssertEqual(eq.status, 0, eq.stderr)
            // Batches of 8 padded to the longest, as the golden: this fixture's INT8 logits equal PyTorch's to 1e-7.
            assertClose(try logits(qp), g.quantizeDynamic, tol: 1e-5, "\(family) quantized folder vs quantize_dynamic")
        }
    }

    func testTrainingRefusesOtherFamiliesInOneLine() throws {
        let mrpc = Fixtures.mrpc.path
        for family in ["electra", "albert", "deberta-v2"] {
            let config = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: fixture(family))
                .appendingPathComponent("config.json"))) as! [String: Any]
            let type = config["model_type"] as! String
            var commands = [["finetune"]]
            if FileManager.default.fileExists(atPath: fixture(family) + "/vocab.txt") { commands.append(["qat", "--scheme", "pytorch-dynamic"]) }
            for command in commands {
                let out = try CLI.tempDir().appendingPathComponent("out")
                let r = try CLI.run(command + ["--model", fixture(family), "--data", mrpc, "--out", out.path,
                                               "--train-examples", "8", "--epochs", "1", "--threads", "1"])
                XCTAssertEqual(r.status, 1, "\(command[0]) \(family): \(r.stderr)")
                let lines = r.stderr.split(separator: "\n").filter { !$0.isEmpty }
                XCTAssertEqual(lines.count, 1, "\(command[0]) \(family): \(r.stderr)")
                XCTAssertTrue(r.stderr.contains("\(fixture(family))/config.json"), r.stderr)
                XCTAssertTrue(r.stderr.contains("training is not supported for model_type \(type) yet"), r.stderr)
                XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(command[0]) \(family) wrote output")
            }
        }
    }
}

extension EncoderFamilyCLITests {
    /// `finetune` writes the family's transformers folder (prefix, head names, architecture), whose dev F1 as printed
    /// is what `eval` measures on it; `qat` on that folder writes a quantized folder whose F1 as printed after its
    /// epoch is what `eval --scheme` measures (the simulation is the integer model).
    func testFinetuneAndQatTrainRobertaXlmRobertaAndDistilbert() throws {
        let mrpc = Fixtures.mrpc.path, dev = Fixtures.mrpc.appendingPathComponent("dev.tsv").path
        let architectures = ["roberta": "RobertaForSequenceClassification", "xlm-roberta": "XLMRobertaForSequenceClassification",
                             "distilbert": "DistilBertForSequenceClassification"]
        for (family, architecture) in architectures.sorted(by: { $0.key < $1.key }) {
            let dir = try CLI.tempDir()
            let ft = dir.appendingPathComponent("ft")
            let r = try CLI.run(["finetune", "--model", fixture(family), "--data", mrpc, "--out", ft.path,
                                 "--train-examples", "16", "--epochs", "1", "--batch-size", "8", "--threads", "1"])
            XCTAssertEqual(r.status, 0, "\(family): \(r.stderr)")
            XCTAssertFalse(r.stdout.contains("initialised fresh"), "\(family): the fixture has a classifier head")
            let cfg = try JSONSerialization.jsonObject(with: Data(contentsOf: ft.appendingPathComponent("config.json"))) as! [String: Any]
            XCTAssertEqual(cfg["architectures"] as? [String], [architecture])
            XCTAssertEqual(cfg["model_type"] as? String, family)
            let written = try SafeTensorsFile(url: ft.appendingPathComponent("model.safetensors"))
            let original = try SafeTensorsFile(url: URL(fileURLWithPath: fixture(family)).appendingPathComponent("model.safetensors"))
            XCTAssertEqual(Set(written.names), Set(original.names), "\(family): the checkpoint's own key names")
            let record = try JSONSerialization.jsonObject(with: Data(contentsOf: ft.appendingPathComponent("finetune.json"))) as! [String: Any]
            let f1 = ((record["epochs"] as! [[String: Any]])[0]["dev_f1"] as! NSNumber).doubleValue
            let e = try CLI.run(["eval", "--model", ft.path, "--data", dev, "--threads", "1", "--json"])
            XCTAssertEqual(e.status, 0, "\(family): \(e.stderr)")
            let measured = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
            XCTAssertEqual((measured["f1"] as! NSNumber).doubleValue, f1, accuracy: 1e-9, "\(family)")

            let q = dir.appendingPathComponent("qat")
            let t = try CLI.run(["qat", "--model", ft.path, "--scheme", "q8bert-static", "--out", q.path, "--train-examples", "16",
                                 "--calibration-examples", "16", "--epochs", "1", "--batch-size", "8", "--threads", "1"])
            XCTAssertEqual(t.status, 0, "\(family): \(t.stderr)")
            XCTAssertTrue(t.stdout.contains("learned ranges for"), t.stdout)
            let qe = try CLI.run(["eval", "--model", q.path, "--scheme", "q8bert-static", "--data", dev, "--threads", "1", "--json"])
            XCTAssertEqual(qe.status, 0, "\(family): \(qe.stderr)")
            let qf1 = ((try JSONSerialization.jsonObject(with: Data(qe.stdout.utf8)) as! [String: Any])["f1"] as! NSNumber).doubleValue
            let epoch = t.stdout.split(separator: "\n").first { $0.hasPrefix("epoch 1/1:") } ?? ""
            XCTAssertTrue(epoch.contains(String(format: "dev F1 %.4f", qf1)), "\(family): eval F1 \(qf1) vs \(t.stdout)")
        }
    }
}

/// `qbench sweep` → `reproduce` → `export` on a non-BERT family (ELECTRA: projection, its own head, a static scheme
/// calibrated on it).
final class EncoderFamilySweepCLITests: XCTestCase {
    func testSweepReproduceAndExportRunOnElectra() throws {
        let root = try CLI.tempDir()
        let model = Fixtures.fixtures.appendingPathComponent("encoders/electra").path
        let config = root.appendingPathComponent("electra.yaml")
        try """
            name: electra-e2e
            description: encoder family sweep
            model: \(model)
            data: {path: \(Fixtures.mrpc.path), split: dev, limit: 16}
            batching: {batch_size: 8, max_seq_length: 64}
            schemes: [pytorch-dynamic, q8bert-static]
            threads: [1]
            repeats: 1
            calibration: {examples: 8}
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep", config.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let runs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        XCTAssertEqual(runs.count, 1, "\(runs)")
        guard let name = runs.first else { return }
        let folder = root.appendingPathComponent("runs/\(name)")
        let results = try String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8)
        XCTAssertTrue(results.contains("q8bert-static"), results)
        let again = try CLI.run(["reproduce", folder.path])
        XCTAssertEqual(again.status, 0, again.stderr + again.stdout)
        let md = root.appendingPathComponent("run.md").path
        let e = try CLI.run(["export", folder.path, "--markdown", md, "--no-bundle"])
        XCTAssertEqual(e.status, 0, e.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: md))
    }
}
