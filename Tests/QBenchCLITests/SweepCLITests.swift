import _TestSupport
import Datasets
import Foundation
import RunRecords
import XCTest

/// End to end on the real binary: `qbench sweep` on the tiny fixture writes every file; `qbench reproduce`
/// matches it, and refuses or fails when predictions or data were changed.
final class SweepCLITests: XCTestCase {
    /// One small sweep shared by the tests (each test copies what it tampers with).
    struct Run {
        var root: URL       // temp folder holding the config, the data copy and runs/
        var folder: URL     // the run folder
        var stdout: String
    }

    nonisolated(unsafe) static var cached: Run?

    static func sweep() throws -> Run {
        if let cached { return cached }
        let root = try CLI.tempDir()
        // A private copy of the data, so one test can change it.
        let data = root.appendingPathComponent("MRPC")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for split in ["dev", "train"] {
            let src = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/\(split).tsv")
            let lines = try String(contentsOf: src, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            try (lines.prefix(33).joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("\(split).tsv"),
                                                                        atomically: true, encoding: .utf8)
        }
        let config = root.appendingPathComponent("tiny.yaml")
        try """
            name: tiny-e2e
            description: end-to-end test sweep
            model: \(Fixtures.tinyBert.path)
            data: {path: \(data.path), split: dev, limit: 24}
            batching: {batch_size: 8, max_seq_length: 64, pad_to_max: true}
            schemes: [pytorch-dynamic, fp16, q8bert-static]
            sweep:
              base: q8bert-dynamic
              axes: {activation_symmetry: [symmetric, affine], requantize_output: [true, false]}
            qat:
              - {scheme: q8bert-static, train_examples: 32, epochs: 1, lr: 1.0e-4, batch_size: 8}
            threads: [1, 2]
            repeats: 1
            calibration: {examples: 16}
            output: \(root.appendingPathComponent("runs").path)
            citation: {authors: [Ada Lovelace], title: Tiny sweep}
            """.write(to: config, atomically: true, encoding: .utf8)
        // A folder left by a killed run (no such process): the next run removes it.
        let abandoned = root.appendingPathComponent("runs/.tiny-e2e-20200101T000000Z.partial-2147483000")
        try FileManager.default.createDirectory(at: abandoned.appendingPathComponent("predictions"), withIntermediateDirectories: true)
        let r = try CLI.run(["sweep", config.path])
        guard r.status == 0 else { throw CLI.Failure("sweep failed (\(r.status)): \(r.stderr)") }
        let runs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        guard runs.count == 1, let name = runs.first else { throw CLI.Failure("expected one run folder, found \(runs)") }
        let run = Run(root: root, folder: root.appendingPathComponent("runs/\(name)"), stdout: r.stdout)
        cached = run
        return run
    }

    func testSweepWritesEveryFile() throws {
        let run = try Self.sweep()
        XCTAssertTrue(run.folder.lastPathComponent.range(of: #"^tiny-e2e-\d{8}T\d{6}Z$"#, options: .regularExpression) != nil,
                      run.folder.lastPathComponent)
        let fm = FileManager.default
        for f in ["results.json", "results.csv", "results.md", "manifest.json", "CITATION.cff", "citation.bib", "experiment.yaml"] {
            XCTAssertTrue(fm.fileExists(atPath: run.folder.appendingPathComponent(f).path), "missing \(f)")
        }
        let preds = try fm.contentsOfDirectory(atPath: run.folder.appendingPathComponent("predictions").path)
        XCTAssertEqual(preds.count, 9 * 2, "9 rows (8 schemes + 1 QAT) × 2 thread counts: \(preds)")
        XCTAssertFalse(try fm.contentsOfDirectory(atPath: run.folder.deletingLastPathComponent().path)
            .contains { $0.hasPrefix(".") }, "no temporary folder left behind")

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: run.folder.appendingPathComponent("manifest.json"))) as! [String: Any]
        for key in ["schema_version", "config", "config_sha256", "files", "environment", "schemes", "threads", "seed",
                    "started", "finished"] {
            XCTAssertNotNil(manifest[key], "manifest lacks \(key)")
        }
        let env = manifest["environment"] as! [String: Any]
        for key in ["git_commit", "quantbench_version", "swift_compiler", "os", "cpu", "cpu_features", "blas_core"] {
            XCTAssertNotNil(env[key], "environment lacks \(key)")
        }
        let files = manifest["files"] as! [[String: Any]]
        XCTAssertTrue(files.contains { $0["role"] as? String == "model" && $0["name"] as? String == "model.safetensors" })
        XCTAssertTrue(files.contains { $0["role"] as? String == "data" && $0["name"] as? String == "dev.tsv" })
        XCTAssertTrue(files.contains { $0["role"] as? String == "calibration_data" }, "q8bert-static reads train.tsv")
        XCTAssertTrue(files.allSatisfy { ($0["sha256"] as? String)?.count == 64 })

        let md = try String(contentsOf: run.folder.appendingPathComponent("results.md"), encoding: .utf8)
        for needle in ["| scheme | F1 | accuracy | model MB | s, 1 thread | s, 2 threads |", "ΔF1 vs FP32", "flips vs FP32",
                       "| pytorch-dynamic |", "## Factorial ablation", "**Answer:**", "published: Tutorial FP32",
                       "Our model differs", "Thread invariance", "## Quantization-aware training", "| q8bert-static+qat | 1 |"] {
            XCTAssertTrue(md.contains(needle), "results.md lacks \(needle)")
        }
        let csv = try String(contentsOf: run.folder.appendingPathComponent("results.csv"), encoding: .utf8)
        XCTAssertEqual(csv.split(separator: "\n").count, 1 + 9)
        XCTAssertTrue(csv.hasPrefix("scheme,kind,f1,") && csv.contains(",f1_ci95_lo,f1_ci95_hi,accuracy_ci95_lo,"), csv)
        let cff = try String(contentsOf: run.folder.appendingPathComponent("CITATION.cff"), encoding: .utf8)
        XCTAssertTrue(cff.hasPrefix("cff-version: 1.2.0"))
        XCTAssertTrue(cff.contains("name: \"Ada Lovelace\""))
        let bib = try String(contentsOf: run.folder.appendingPathComponent("citation.bib"), encoding: .utf8)
        XCTAssertTrue(bib.hasPrefix("@misc{quantbench:\(run.folder.lastPathComponent),"), bib)
    }

    /// The QAT row is trained in the sweep, recorded with its recipe, and its model folder evaluates on its own
    /// (`qbench eval --model run/qat/<row>`) to exactly the predictions the sweep recorded.
    func testQATRowIsTrainedRecordedAndReloadable() throws {
        let run = try Self.sweep()
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: run.folder.appendingPathComponent("results.json"))) as! [String: Any]
        let rows = results["schemes"] as! [[String: Any]]
        let qat = try XCTUnwrap(rows.first { $0["scheme"] as? String == "q8bert-static+qat" })
        XCTAssertEqual(qat["kind"] as? String, "qat")
        XCTAssertEqual(rows.last?["scheme"] as? String, "q8bert-static+qat", "QAT rows come last")
        let training = try XCTUnwrap(qat["training"] as? [String: Any])
        XCTAssertEqual(training["examples"] as? Int, 32)
        XCTAssertEqual(training["epochs"] as? Int, 1)
        XCTAssertEqual(training["threads"] as? Int, 2, "trains at the largest thread count")
        XCTAssertEqual(training["learning_rate"] as? Double, 1e-4)
        let loss = try XCTUnwrap(training["final_loss"] as? Double)
        XCTAssertTrue(loss.isFinite && loss > 0)
        XCTAssertGreaterThan(training["learned_ranges"] as? Int ?? 0, 0, "q8bert-static learns static ranges")
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: run.folder.appendingPathComponent("manifest.json"))) as! [String: Any]
        XCTAssertTrue((manifest["files"] as! [[String: Any]]).contains { $0["name"] as? String == "train.tsv" },
                      "the training pairs are hashed (as calibration_data here: calibration reads the same file)")

        let model = run.folder.appendingPathComponent("qat/q8bert-static+qat")
        let out = run.root.appendingPathComponent("qat-eval.jsonl")
        let r = try CLI.run(["eval", "--model", model.path, "--scheme", "q8bert-static", "--data", run.root.appendingPathComponent("MRPC").path,
                             "--batch-size", "8", "--max-seq-length", "64", "--pad-to-max", "--threads", "1", "--predictions", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        func records(_ url: URL) throws -> [(Int, [Float])] {
            try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
                let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                return (o["prediction"] as! Int, (o["logits"] as! [Double]).map(Float.init))
            }
        }
        let evaluated = try records(out).prefix(24)
        let recorded = try records(run.folder.appendingPathComponent("predictions/q8bert-static_qat.threads-1.jsonl"))
        XCTAssertEqual(recorded.count, 24)
        XCTAssertEqual(evaluated.map(\.0), recorded.map(\.0), "same predictions")
        XCTAssertEqual(evaluated.map(\.1), recorded.map(\.1), "the stored QAT folder reproduces the sweep's logits bit for bit")
    }

    /// Every row's 95% intervals and McNemar p in results.json (with the bootstrap settings), the same bits as
    /// `PairedBootstrap` / `McNemarTest` recomputed from the stored predictions, and in results.md.
    func testSweepRecordsErrorBars() throws {
        let run = try Self.sweep()
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: run.folder.appendingPathComponent("results.json"))) as! [String: Any]
        let settings = try XCTUnwrap(json["bootstrap"] as? [String: Any])
        XCTAssertEqual(settings["replicates"] as? Int, 1000)
        XCTAssertEqual(settings["seed"] as? Int, 0, "the experiment's seed")
        XCTAssertEqual(settings["method"] as? String, "percentile")
        XCTAssertEqual(settings["confidence"] as? Double, 0.95)
        for row in json["schemes"] as! [[String: Any]] {
            for key in ["f1_ci95", "accuracy_ci95", "delta_f1_ci95"] {
                XCTAssertEqual((row[key] as? [Double])?.count, 2, "\(row["scheme"]!) \(key)")
            }
            XCTAssertNotNil(row["mcnemar_p"] as? Double, "\(row["scheme"]!)")
        }

        let results = try SweepResults.read(runFolder: run.folder)
        let bootstrap = try XCTUnwrap(results.bootstrap)
        let sets = try results.schemes.map { try PredictionSet.read(runFolder: run.folder, scheme: $0.scheme, threads: 1) }
        let labels = sets[0].labels.map { $0! }
        let boot = PairedBootstrap(labels: labels, predictions: sets.map(\.predictions), settings: bootstrap)
        let base = try XCTUnwrap(results.schemes.firstIndex { $0.scheme == "ablation.act-symmetric.requant-on" },
                                 "q8bert-dynamic's cell")
        for (i, row) in results.schemes.enumerated() {
            let f1 = try XCTUnwrap(row.metrics?.f1)
            XCTAssertEqual(row.f1CI95, boot.f1Interval(i), row.scheme)
            XCTAssertTrue(row.f1CI95!.contains(f1), "\(row.scheme): F1 \(f1) in \(row.f1CI95!)")
            XCTAssertEqual(row.accuracyCI95, boot.accuracyInterval(i), row.scheme)
            XCTAssertEqual(row.deltaF1CI95, boot.deltaF1Interval(i, minus: 0), row.scheme)
            XCTAssertEqual(row.mcnemarP, McNemarTest(labels: labels, reference: sets[0].predictions, candidate: sets[i].predictions).pValue)
            if row.kind == "sweep", i != base {
                let vs = try XCTUnwrap(row.vsSweepBase, row.scheme)
                XCTAssertEqual(vs.scheme, results.schemes[base].scheme)
                XCTAssertEqual(vs.deltaF1CI95, boot.deltaF1Interval(i, minus: base))
                XCTAssertEqual(vs.mcnemarP, McNemarTest(labels: labels, reference: sets[base].predictions, candidate: sets[i].predictions).pValue)
            } else {
                XCTAssertNil(row.vsSweepBase, row.scheme)
            }
        }
        XCTAssertEqual(results.schemes[0].deltaF1CI95, ConfidenceInterval(lower: 0, upper: 0))
        XCTAssertEqual(results.schemes[0].mcnemarP, 1)

        let md = try String(contentsOf: run.folder.appendingPathComponent("results.md"), encoding: .utf8)
        let row = results.schemes.first { $0.scheme == "pytorch-dynamic" }!
        for needle in ["| flips vs FP32 | McNemar p vs FP32 |", "Brackets: 95% percentile intervals of 1000 bootstrap resamples of the 24 examples",
                       "| pytorch-dynamic | " + String(format: "%.4f [%.3f, %.3f] |", row.metrics!.f1, row.f1CI95!.lower, row.f1CI95!.upper),
                       "| ΔF1 vs base | McNemar p vs base |"] {
            XCTAssertTrue(md.contains(needle), "results.md lacks \(needle)")
        }
    }

    func testReproduceMatches() throws {
        let run = try Self.sweep()
        let r = try CLI.run(["reproduce", run.folder.path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("checks match"), r.stdout)
        XCTAssertFalse(r.stdout.contains("MISMATCH"), r.stdout)
        for metric in ["f1_ci95", "accuracy_ci95", "delta_f1_ci95", "mcnemar_p", "vs_sweep_base"] {
            XCTAssertTrue(r.stdout.contains(metric), "reproduce checks \(metric): \(r.stdout)")
        }
        XCTAssertTrue(r.stdout.contains("predictions @2 threads"), r.stdout)
        XCTAssertTrue(r.stdout.contains("timings (median seconds; shown, not compared)"), r.stdout)
    }

    func testTamperedPredictionFailsReproduce() throws {
        let run = try Self.sweep()
        let copy = run.root.appendingPathComponent("tampered-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: run.folder, to: copy)
        let file = copy.appendingPathComponent("predictions/pytorch-dynamic.threads-1.jsonl")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let flipped = lines[3].contains("\"prediction\":1") ? lines[3].replacingOccurrences(of: "\"prediction\":1", with: "\"prediction\":0")
            : lines[3].replacingOccurrences(of: "\"prediction\":0", with: "\"prediction\":1")
        XCTAssertNotEqual(flipped, lines[3])
        lines[3] = flipped
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["reproduce", copy.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stdout.contains("pytorch-dynamic") && r.stdout.contains("MISMATCH"), r.stdout)
        XCTAssertTrue(r.stdout.contains("1 differ (first at index 3)"), r.stdout)
    }

    /// An interval edited in results.json (everything else as written) is the one mismatch reproduce reports.
    func testTamperedIntervalFailsReproduce() throws {
        let run = try Self.sweep()
        let copy = run.root.appendingPathComponent("tampered-ci-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: run.folder, to: copy)
        var results = try SweepResults.read(runFolder: copy)
        let i = try XCTUnwrap(results.schemes.firstIndex { $0.scheme == "pytorch-dynamic" })
        let ci = try XCTUnwrap(results.schemes[i].f1CI95)
        results.schemes[i].f1CI95 = ConfidenceInterval(lower: ci.lower - 0.001, upper: ci.upper)
        try RunManifest.encoder.encode(results).write(to: copy.appendingPathComponent("results.json"))
        let r = try CLI.run(["reproduce", copy.path])
        XCTAssertNotEqual(r.status, 0)
        let mismatches = r.stdout.split(separator: "\n").filter { $0.hasSuffix("MISMATCH") && !$0.hasPrefix("result:") }
        XCTAssertEqual(mismatches.count, 1, r.stdout)
        XCTAssertTrue(mismatches.first.map { $0.hasPrefix("pytorch-dynamic") && $0.contains("f1_ci95") } ?? false, r.stdout)
    }

    func testChangedDataIsRefused() throws {
        let run = try Self.sweep()
        // Copy the whole experiment (config + data + run) and change the data copy the manifest points at.
        let copy = run.root.appendingPathComponent("data-changed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: copy, withIntermediateDirectories: true)
        let data = copy.appendingPathComponent("MRPC")
        try FileManager.default.copyItem(at: run.root.appendingPathComponent("MRPC"), to: data)
        let dev = data.appendingPathComponent("dev.tsv")
        try (String(contentsOf: dev, encoding: .utf8) + "1\t1\t2\tan extra pair\tanother one\n")
            .write(to: dev, atomically: true, encoding: .utf8)
        let r = try CLI.run(["reproduce", run.folder.path, "--data", data.path, "--calibration-data", data.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("refusing to reproduce"), r.stderr)
        XCTAssertTrue(r.stderr.contains("dev.tsv has sha256"), r.stderr)
        XCTAssertFalse(r.stdout.contains("match"), "nothing is run: \(r.stdout)")
    }

    func testBadConfigWritesNothing() throws {
        let root = try CLI.tempDir()
        let config = root.appendingPathComponent("bad.yaml")
        try """
            name: bad
            model: \(Fixtures.tinyBert.path)
            data: {path: data/glue/MRPC}
            thread: [1]
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep", config.path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("bad.yaml:4: key thread: unknown key 'thread'"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("runs").path))
    }

    /// `--repeats 0` is a usage error; a manifest whose config the YAML rules would refuse fails naming
    /// manifest.json and the `config.` key, without running anything.
    func testReproduceRefusesZeroRepeatsAndInvalidManifestConfig() throws {
        let run = try Self.sweep()
        let r0 = try CLI.run(["reproduce", run.folder.path, "--repeats", "0"])
        XCTAssertEqual(r0.status, 64, r0.stdout + r0.stderr)
        XCTAssertTrue(r0.stderr.contains("--repeats"), r0.stderr)
        let root = try CLI.tempDir()
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("threads", { $0["threads"] = [0] }, "key config.threads[0]"),
            ("repeats", { $0["repeats"] = 0 }, "key config.repeats"),
            ("batch", { c in var b = c["batching"] as! [String: Any]; b["batch_size"] = 0; c["batching"] = b }, "key config.batching.batch_size"),
        ]
        for (name, change, message) in cases {
            let copy = root.appendingPathComponent(name)
            try FileManager.default.copyItem(at: run.folder, to: copy)
            let url = copy.appendingPathComponent("manifest.json")
            var manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            var config = manifest["config"] as! [String: Any]
            change(&config)
            manifest["config"] = config
            try JSONSerialization.data(withJSONObject: manifest).write(to: url)
            let r = try CLI.run(["reproduce", copy.path])
            XCTAssertEqual(r.status, 1, "\(name): \(r.stdout) \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("manifest.json") && r.stderr.contains(message), "\(name): \(r.stderr)")
            XCTAssertFalse(r.stdout.contains("match"), "\(name): nothing is run: \(r.stdout)")
        }
    }
}
