import Checkpoints
import Foundation
import TensorCore
import XCTest
import _Support
import _TestSupport

/// End-to-end tests of `qbench recommend` on the real binary.
final class RecommendCLITests: XCTestCase {
    let mrpc = Fixtures.mrpc.path

    /// The tiny random classifier predicts one class for every pair (its logit margins are all near −0.26), so no
    /// scheme changes its F1. This copy moves `classifier.bias[1]` by the median FP32 margin over MRPC train, so half
    /// the pairs sit on each side of the boundary and 8-bit rounding flips some of them.
    func balancedTinyModel() throws -> URL {
        let model = try CLI.tinyModelCopy()
        let preds = model.deletingLastPathComponent().appendingPathComponent("fp32-train.jsonl")
        let e = try CLI.run(["eval", "--model", model.path, "--data", mrpc, "--split", "train", "--numerics", "reproducible",
                             "--threads", "1", "--predictions", preds.path])
        guard e.status == 0 else { throw CLI.Failure("fp32 eval failed: \(e.stderr)") }
        let margins = try String(contentsOf: preds, encoding: .utf8).split(separator: "\n").map { line -> Double in
            let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let logits = row["logits"] as! [Double]
            return logits[1] - logits[0]
        }
        let url = model.appendingPathComponent("model.safetensors")
        let f = try SafeTensorsFile(url: url)
        var w = SafeTensorsWriter(metadata: f.metadata)
        for name in f.names {
            let info = try f.info(name)
            if name == "classifier.bias" {
                var b = try f.floatTensor(name)
                b.data[1] -= Float(margins.median)
                try w.add(name, b)
            } else {
                try w.add(name, dtype: info.dtype, shape: info.shape, bytes: try f.rawBytes(name))
            }
        }
        let bytes = try w.serialized()
        try FileManager.default.removeItem(at: url)
        try bytes.write(to: url)
        return model
    }

    func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
    }

    /// The acceptance test of issue 15: the written scheme, evaluated by `qbench eval --scheme FILE` on the reporting
    /// split (at another thread count), gives exactly the F1 and accuracy the report gives for the last step.
    func testWrittenSchemeReproducesReportedNumbers() throws {
        let model = try balancedTinyModel()
        let output = try CLI.tempDir().appendingPathComponent("out")
        let schemeYAML = output.deletingLastPathComponent().appendingPathComponent("recommended.yaml")
        let r = try CLI.run(["recommend", "--model", model.path, "--scheme", "q8bert-static", "--budget", "0",
                             "--data", mrpc, "--decide-examples", "64", "--calibration-examples", "32",
                             "--threads", "1", "--output", output.path, "--out", schemeYAML.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let folders = try FileManager.default.contentsOfDirectory(atPath: output.path)
        XCTAssertEqual(folders.count, 1, "\(folders)")
        let folder = output.appendingPathComponent(try XCTUnwrap(folders.first))
        XCTAssertTrue(folder.lastPathComponent.hasPrefix("recommend-q8bert-static-"), folder.path)
        XCTAssertEqual(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path)),
                       ["scheme.json", "report.json", "report.md", "manifest.json"])

        let report = try json(folder.appendingPathComponent("report.json"))
        let steps = try XCTUnwrap(report["steps"] as? [[String: Any]])
        let ranking = try XCTUnwrap(report["sensitivities"] as? [[String: Any]])
        XCTAssertEqual(ranking.count, 15, "embeddings + 2 × 6 encoder linears + pooler + classifier")
        XCTAssertGreaterThan(try XCTUnwrap(steps.first?["loss"] as? Double), 0, "the fixture must lose F1 at step 0")
        XCTAssertGreaterThanOrEqual(steps.count, 2, "at least one layer reverted")
        XCTAssertEqual(steps[1]["reverted"] as? String, ranking[0]["unit"] as? String, "the most sensitive unit goes first")
        XCTAssertEqual(report["within_budget"] as? Bool, true)
        XCTAssertEqual(steps.last?["within_budget"] as? Bool, true)
        XCTAssertTrue(steps.dropLast().allSatisfy { $0["within_budget"] as? Bool == false }, "stops at the first step within budget")

        let deciding = try XCTUnwrap(report["deciding"] as? [String: Any])
        let reporting = try XCTUnwrap(report["reporting"] as? [String: Any])
        XCTAssertTrue((deciding["file"] as? String)?.hasSuffix("train.tsv") == true, "\(deciding)")
        XCTAssertTrue((reporting["file"] as? String)?.hasSuffix("dev.tsv") == true, "\(reporting)")
        let indices = try XCTUnwrap(deciding["indices"] as? [Int])
        XCTAssertEqual(indices.count, 64)
        XCTAssertTrue(indices.allSatisfy { $0 >= 32 }, "the calibration examples (the first 32) never decide")

        let reverted = try XCTUnwrap(steps.last?["reverted_so_far"] as? [String])
        let scheme = try json(folder.appendingPathComponent("scheme.json"))
        let overrides = try XCTUnwrap(scheme["overrides"] as? [[String: Any]])
        XCTAssertEqual(overrides.compactMap { $0["pattern"] as? String }, reverted.filter { $0 != "embeddings" })
        XCTAssertTrue(overrides.allSatisfy { $0["scheme"] == nil }, "reverted layers are FP32")

        var command = try XCTUnwrap(report["reproduce"] as? [String])
        XCTAssertEqual(command.first, "qbench")
        command.removeFirst()
        let e = try CLI.run(command + ["--json", "--threads", "2"])
        XCTAssertEqual(e.status, 0, e.stderr)
        let evaluated = try JSONSerialization.jsonObject(with: Data(e.stdout.utf8)) as! [String: Any]
        let last = try XCTUnwrap((steps.last?["evaluation"] as? [String: Any])?["reporting"] as? [String: Any])
        // F1 and accuracy are quotients of the same integer counts: exact equality is the claim.
        XCTAssertEqual(evaluated["f1"] as? Double, last["f1"] as? Double)
        XCTAssertEqual(evaluated["accuracy"] as? Double, last["accuracy"] as? Double)
        XCTAssertEqual(evaluated["examples"] as? Int, 408)
        XCTAssertEqual(evaluated["scheme"] as? String, "q8bert-static+recommended")
        // `--out FILE`: the same scheme, and `qbench eval --scheme FILE` gives the reported numbers too.
        XCTAssertEqual(try Data(contentsOf: schemeYAML), try Data(contentsOf: folder.appendingPathComponent("scheme.json")))
        let schemeIndex = try XCTUnwrap(command.firstIndex(of: "--scheme"))
        var viaOut = command
        viaOut[schemeIndex + 1] = schemeYAML.path
        let o = try CLI.run(viaOut + ["--json", "--threads", "1"])
        XCTAssertEqual(o.status, 0, o.stderr)
        let evaluatedOut = try JSONSerialization.jsonObject(with: Data(o.stdout.utf8)) as! [String: Any]
        XCTAssertEqual(evaluatedOut["f1"] as? Double, last["f1"] as? Double)
        XCTAssertEqual(evaluatedOut["accuracy"] as? Double, last["accuracy"] as? Double)

        let manifest = try json(folder.appendingPathComponent("manifest.json"))
        XCTAssertEqual(manifest["kind"] as? String, "quantbench.recommend")
        let files = try XCTUnwrap(manifest["files"] as? [[String: Any]])
        XCTAssertEqual(Set(files.compactMap { $0["role"] as? String }), ["model", "deciding_data", "data", "calibration_data"])
        let weights = try XCTUnwrap(files.first { $0["name"] as? String == "model.safetensors" })
        XCTAssertEqual(weights["sha256"] as? String, try SHA256.hex(file: model.appendingPathComponent("model.safetensors").path))
        XCTAssertEqual(manifest["scheme_sha256"] as? String,
                       SHA256.hex(try Data(contentsOf: folder.appendingPathComponent("scheme.json"))))
    }

    /// Bad input: one error line naming the problem, non-zero exit, no output folder.
    func testBadInputIsOneLineAndWritesNothing() throws {
        let tmp = try CLI.tempDir()
        let output = tmp.appendingPathComponent("out")
        let base = ["recommend", "--model", Fixtures.tinyBert.path, "--output", output.path, "--threads", "1"]
        let cases: [([String], String)] = [
            (["--scheme", "no-such-scheme", "--budget", "0.01", "--data", mrpc], "no-such-scheme"),
            (["--scheme", "q8bert-static", "--budget=-0.01", "--data", mrpc], "--budget"),
            (["--scheme", "q8bert-static", "--budget", "nan", "--data", mrpc], "--budget"),
            (["--scheme", "q8bert-static", "--budget", "0.01", "--data", "/nonexistent/MRPC"], "/nonexistent/MRPC"),
            (["--scheme", "q8bert-static", "--budget", "0.01", "--data", mrpc, "--report-split", "train"], "same file"),
            (["--scheme", "fp32", "--budget", "0.01", "--data", mrpc], "nothing to revert"),
            (["--scheme", "q8bert-static", "--budget", "0.01", "--data", mrpc, "--out", tmp.appendingPathComponent("s.txt").path], "--out"),
            (["--scheme", "q8bert-static", "--budget", "0.01", "--data", mrpc, "--out", "/nonexistent/dir/s.yaml"], "/nonexistent/dir"),
        ]
        for (args, needle) in cases {
            let r = try CLI.run(base + args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            let lines = r.stderr.split(separator: "\n").filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            XCTAssertEqual(lines.count, 1, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(needle), "\(args): \(r.stderr)")
            XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path), "\(args): nothing written")
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: tmp.path), [], "no temporary folder left")
    }
}
