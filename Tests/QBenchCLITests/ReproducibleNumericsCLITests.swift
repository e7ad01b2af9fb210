import _TestSupport
import Foundation
import XCTest

/// `numerics: reproducible` end to end on the real binary, one machine standing in for many: a tiny sweep (FP32,
/// int8 dynamic and static, fp16, with stats.h5) and `qbench stats` run with every kernel family forced through
/// `QBENCH_KERNEL` and at 1 and 2 threads give byte-identical predictions (logits included), results and HDF5
/// files; `qbench reproduce` compares logits bit for bit, remaps inputs by their project-relative paths, and
/// reproduces manifests written before `numerics` existed as `fast`.
final class ReproducibleNumericsCLITests: XCTestCase {
    static let families = ["ref", "avx2", "avx512vnni", "amx", "amx_emu"]

    /// A private copy of the first 24 MRPC dev pairs (and train, for calibration) under `root/MRPC`.
    static func dataCopy(in root: URL) throws -> URL {
        let data = root.appendingPathComponent("MRPC")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        for split in ["dev", "train"] {
            let src = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/\(split).tsv")
            let lines = try String(contentsOf: src, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            try (lines.prefix(25).joined(separator: "\n") + "\n").write(to: data.appendingPathComponent("\(split).tsv"),
                                                                        atomically: true, encoding: .utf8)
        }
        return data
    }

    static func config(root: URL, model: String, data: String, numerics: String, statistics: Bool = true) throws -> URL {
        let url = root.appendingPathComponent("tiny-\(numerics).yaml")
        try """
            name: tiny-\(numerics)
            model: \(model)
            data: {path: \(data), split: dev, limit: 24}
            batching: {batch_size: 8, max_seq_length: 48, pad_to_max: false}
            schemes: [pytorch-dynamic, fp16, q8bert-static]
            threads: [1, 2]
            repeats: 1
            numerics: \(numerics)
            calibration: {examples: 8}
            \(statistics ? "statistics: {examples: 8}" : "")
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: url, atomically: true, encoding: .utf8)
        return url
    }

    /// Runs the sweep with `env`; returns the run folder.
    static func sweep(_ config: URL, env: [String: String] = [:], cwd: URL? = nil) throws -> URL {
        let runs = config.deletingLastPathComponent().appendingPathComponent("runs")
        let before = Set((try? FileManager.default.contentsOfDirectory(atPath: runs.path)) ?? [])
        let r = try CLI.run(["sweep", config.path], env: env.merging(["SOURCE_DATE_EPOCH": "1700000000"]) { $1 }, cwd: cwd)
        guard r.status == 0 else { throw CLI.Failure("sweep failed (\(r.status)): \(r.stderr)") }
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: runs.path)).subtracting(before)
        guard after.count == 1, let name = after.first else { throw CLI.Failure("expected one new run folder, found \(after)") }
        return runs.appendingPathComponent(name)
    }

    /// results.json without what legitimately changes between runs: the run id and the timings.
    static func resultsWithoutTimings(_ folder: URL) throws -> Data {
        var json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json")))
                                 as? [String: Any])
        json["run"] = nil
        json["schemes"] = (json["schemes"] as? [[String: Any]])?.map { s in var s = s; s["timings"] = nil; return s }
        return try JSONSerialization.data(withJSONObject: json, options: [.sortedKeys])
    }

    static func manifest(_ folder: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("manifest.json")))
                      as? [String: Any])
    }

    func testSweepByteIdenticalAcrossKernelFamiliesAndThreads() throws {
        let root = try CLI.tempDir()
        let data = try Self.dataCopy(in: root)
        let config = try Self.config(root: root, model: Fixtures.tinyBert.path, data: data.path, numerics: "reproducible")
        var reference: (family: String, results: Data, predictions: [String: Data], stats: Data)?
        var ran: [String] = []
        for family in Self.families {
            let folder = try Self.sweep(config, env: ["QBENCH_KERNEL": family])
            let env = try XCTUnwrap(try Self.manifest(folder)["environment"] as? [String: Any])
            // An unsupported family keeps the default (`qbench doctor` says so): not this family's run then.
            guard env["kernel_family"] as? String == family else { continue }
            ran.append(family)
            XCTAssertEqual(try Self.manifest(folder)["numerics"] as? String, "reproducible")
            let dir = folder.appendingPathComponent("predictions")
            var predictions: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
                predictions[name] = try Data(contentsOf: dir.appendingPathComponent(name))
            }
            XCTAssertEqual(predictions.count, 8, "4 schemes × 2 thread counts")
            // 1 and 2 threads: the same bytes (labels, predictions and every logit's shortest round-trip text).
            for (name, bytes) in predictions where name.hasSuffix(".threads-1.jsonl") {
                XCTAssertEqual(predictions[name.replacingOccurrences(of: "threads-1", with: "threads-2")], bytes,
                               "\(family): \(name) differs at 2 threads")
            }
            let results = try Self.resultsWithoutTimings(folder)
            let stats = try Data(contentsOf: folder.appendingPathComponent("stats.h5"))
            if let reference {
                XCTAssertEqual(results, reference.results, "results.json: \(family) vs \(reference.family)")
                XCTAssertEqual(predictions, reference.predictions, "predictions: \(family) vs \(reference.family)")
                XCTAssertEqual(stats, reference.stats, "stats.h5: \(family) vs \(reference.family)")
            } else {
                reference = (family, results, predictions, stats)
            }
        }
        XCTAssertTrue(ran.contains("ref") && ran.contains("amx_emu"), "families run: \(ran)")
        print("ReproducibleNumericsCLITests: sweep compared under " + ran.joined(separator: ", "))
    }

    /// A sweep's QAT row (fine-tuning with fake quantization, then the integer model) in `reproducible` numerics:
    /// the trained quantized folder and every prediction are the same bytes under every kernel family and whether
    /// the row trains at 2 threads (`threads: [1, 2]`, trained at the largest) or at 1 (`threads: [1]`).
    func testQATRowByteIdenticalAcrossKernelFamiliesAndTrainingThreads() throws {
        let root = try CLI.tempDir()
        let data = try Self.dataCopy(in: root)
        func config(_ name: String, threads: String) throws -> URL {
            let url = root.appendingPathComponent("\(name).yaml")
            try """
                name: \(name)
                model: \(Fixtures.tinyBert.path)
                data: {path: \(data.path), split: dev, limit: 16}
                batching: {batch_size: 8, max_seq_length: 48, pad_to_max: false}
                schemes: []
                qat: [{scheme: q8bert-static, epochs: 1, train_examples: 24, batch_size: 8, seed: 3}]
                threads: \(threads)
                repeats: 1
                calibration: {examples: 8}
                output: \(root.appendingPathComponent("runs").path)
                """.write(to: url, atomically: true, encoding: .utf8)
            return url
        }
        func outputs(_ folder: URL) throws -> (model: Data, predictions: [String: Data]) {
            let model = try Data(contentsOf: folder.appendingPathComponent("qat/q8bert-static+qat/model.safetensors"))
            let dir = folder.appendingPathComponent("predictions")
            var predictions: [String: Data] = [:]
            for name in try FileManager.default.contentsOfDirectory(atPath: dir.path)
            where name.hasSuffix(".threads-1.jsonl") {
                predictions[name] = try Data(contentsOf: dir.appendingPathComponent(name))
            }
            return (model, predictions)
        }
        let two = try config("qat-two", threads: "[1, 2]")
        var reference: (family: String, model: Data, predictions: [String: Data])?
        var ran: [String] = []
        for family in ["ref", "avx2", "avx512vnni", "amx_emu"] {
            let folder = try Self.sweep(two, env: ["QBENCH_KERNEL": family])
            let env = try XCTUnwrap(try Self.manifest(folder)["environment"] as? [String: Any])
            guard env["kernel_family"] as? String == family else { continue }
            ran.append(family)
            let out = try outputs(folder)
            XCTAssertEqual(out.predictions.count, 2, "fp32 and the QAT row")
            if let reference {
                XCTAssertEqual(out.model, reference.model, "QAT folder: \(family) vs \(reference.family)")
                XCTAssertEqual(out.predictions, reference.predictions, "predictions: \(family) vs \(reference.family)")
            } else {
                reference = (family, out.model, out.predictions)
            }
        }
        XCTAssertTrue(ran.contains("ref") && ran.contains("amx_emu"), "families run: \(ran)")
        let ref = try XCTUnwrap(reference)
        let one = try outputs(try Self.sweep(try config("qat-one", threads: "[1]")))
        XCTAssertEqual(one.model, ref.model, "QAT trained at 1 thread vs at 2")
        XCTAssertEqual(one.predictions, ref.predictions, "predictions of the QAT row trained at 1 vs 2 threads")
    }

    /// `qbench stats` at 1 and 2 threads under every family: the same HDF5 bytes. The command line is stored in
    /// the file, so the two runs' `--threads 1` / `--threads 2` (same length) are aligned before comparing.
    func testStatsByteIdenticalAcrossKernelFamiliesAndThreads() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("run.h5")
        var reference: (String, Data)?
        for family in Self.families {
            for threads in [1, 2] {
                let r = try CLI.run(["stats", "--model", Fixtures.tinyBert.path, "--data", Fixtures.mrpc.path,
                                     "--scheme", "pytorch-dynamic", "--scheme", "q8bert-dynamic", "--limit", "24",
                                     "--threads", "\(threads)", "--out", out.path],
                                    env: ["SOURCE_DATE_EPOCH": "1700000000", "QBENCH_KERNEL": family])
                XCTAssertEqual(r.status, 0, r.stderr)
                var bytes = try Data(contentsOf: out)
                try FileManager.default.removeItem(at: out)
                if threads == 2 {
                    let two = Data("--threads 2".utf8), one = Data("--threads 1".utf8)
                    let at = try XCTUnwrap(bytes.range(of: two), "the command attribute holds --threads 2")
                    bytes.replaceSubrange(at, with: one)
                }
                let label = "\(family) @\(threads) threads"
                if let reference { XCTAssertEqual(bytes, reference.1, "\(label) vs \(reference.0)") }
                else { reference = (label, bytes) }
            }
        }
    }

    func testReproduceComparesLogitsBitForBit() throws {
        let root = try CLI.tempDir()
        let data = try Self.dataCopy(in: root)
        let config = try Self.config(root: root, model: Fixtures.tinyBert.path, data: data.path, numerics: "reproducible",
                                     statistics: false)
        let folder = try Self.sweep(config)
        let ok = try CLI.run(["reproduce", folder.path])
        XCTAssertEqual(ok.status, 0, ok.stdout + ok.stderr)
        XCTAssertTrue(ok.stdout.contains("numerics: reproducible"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("kernel family"), ok.stdout)
        XCTAssertTrue(ok.stdout.contains("logits @2 threads") && ok.stdout.contains("bit-identical"), ok.stdout)

        // One logit moved to its neighbouring float: predictions still match, the logit check does not.
        let file = folder.appendingPathComponent("predictions/fp16.threads-2.jsonl")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        let open = try XCTUnwrap(lines[5].range(of: "\"logits\":["))
        let close = try XCTUnwrap(lines[5][open.upperBound...].firstIndex(of: ","))
        let first = try XCTUnwrap(Float(String(lines[5][open.upperBound..<close])))
        lines[5].replaceSubrange(open.upperBound..<close, with: "\(first.nextUp)")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["reproduce", folder.path])
        XCTAssertNotEqual(bad.status, 0, bad.stdout)
        let row = bad.stdout.split(separator: "\n").first { $0.contains("fp16") && $0.contains("logits @2 threads") }
        XCTAssertTrue(row?.contains("1 differ (first at example 5)") == true && row?.contains("MISMATCH") == true,
                      bad.stdout)
        XCTAssertFalse(bad.stdout.split(separator: "\n").contains { $0.contains("predictions") && $0.contains("MISMATCH") },
                       bad.stdout)
    }

    /// A fresh clone elsewhere: the recorded absolute paths do not exist, the project-relative ones do (the run's
    /// working directory was the project); the hashes decide, and a changed file is named.
    func testReproduceFindsInputsByProjectRelativePath() throws {
        let project = try CLI.tempDir()
        let model = project.appendingPathComponent("models/tiny")
        try FileManager.default.createDirectory(at: model.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.tinyBert, to: model)
        let data = try Self.dataCopy(in: project)
        let config = try Self.config(root: project, model: "models/tiny", data: "MRPC", numerics: "reproducible",
                                     statistics: false)
        let folder = try Self.sweep(config, cwd: project)
        let manifest = try Self.manifest(folder)
        let inputs = try XCTUnwrap(manifest["inputs"] as? [String: String])
        XCTAssertEqual(inputs["model"], "models/tiny")
        XCTAssertEqual(inputs["data"], "MRPC")

        // The clone: same relative layout under another root; the old root is gone.
        let clone = try CLI.tempDir()
        try FileManager.default.copyItem(at: model.deletingLastPathComponent(), to: clone.appendingPathComponent("models"))
        try FileManager.default.copyItem(at: data, to: clone.appendingPathComponent("MRPC"))
        let runCopy = clone.appendingPathComponent("run")
        try FileManager.default.copyItem(at: folder, to: runCopy)
        try FileManager.default.removeItem(at: project)
        let r = try CLI.run(["reproduce", runCopy.path], cwd: clone)
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("result: all"), r.stdout)

        // The same name, other bytes: refused, naming the file.
        let vocab = clone.appendingPathComponent("models/tiny/vocab.txt")
        chmod(vocab.path, 0o644)
        try (try String(contentsOf: vocab, encoding: .utf8) + "extra\n").write(to: vocab, atomically: true, encoding: .utf8)
        let refused = try CLI.run(["reproduce", runCopy.path], cwd: clone)
        XCTAssertNotEqual(refused.status, 0)
        XCTAssertTrue((refused.stdout + refused.stderr).contains("vocab.txt"), refused.stdout + refused.stderr)
    }

    /// A manifest without `numerics` (written before it existed) reproduces as `fast`; on the recording machine a
    /// fast run matches itself.
    func testManifestWithoutNumericsReproducesAsFast() throws {
        let root = try CLI.tempDir()
        let data = try Self.dataCopy(in: root)
        let config = try Self.config(root: root, model: Fixtures.tinyBert.path, data: data.path, numerics: "fast",
                                     statistics: false)
        let folder = try Self.sweep(config)
        var manifest = try Self.manifest(folder)
        XCTAssertEqual(manifest["numerics"] as? String, "fast")
        for key in ["numerics", "inputs"] { manifest[key] = nil }
        var env = try XCTUnwrap(manifest["environment"] as? [String: Any])
        env["kernel_family"] = nil
        env["fp32_gemm"] = nil
        manifest["environment"] = env
        var cfg = try XCTUnwrap(manifest["config"] as? [String: Any])
        cfg["numerics"] = nil
        manifest["config"] = cfg
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted])
            .write(to: folder.appendingPathComponent("manifest.json"))
        let r = try CLI.run(["reproduce", folder.path])
        XCTAssertTrue(r.stdout.contains("numerics: fast"), r.stdout)
        XCTAssertFalse(r.stdout.contains("MISMATCH"), r.stdout)
        XCTAssertTrue(r.stdout.contains("not compared: fast numerics"), r.stdout)
    }

    /// `fast` numerics recorded on "another machine" (the manifest's CPU and BLAS core edited): a changed prediction
    /// is DRIFT naming those differences (exit 0), a changed logit is never called bit-identical; the same change
    /// with the recorded machine left as it was is a MISMATCH (exit 1).
    func testFastRunOnAnotherMachineReportsDrift() throws {
        let root = try CLI.tempDir()
        let data = try Self.dataCopy(in: root)
        let config = try Self.config(root: root, model: Fixtures.tinyBert.path, data: data.path, numerics: "fast",
                                     statistics: false)
        let folder = try Self.sweep(config)
        // One prediction flipped and one logit nudged, as another BLAS core might have computed them.
        let file = folder.appendingPathComponent("predictions/fp32.threads-1.jsonl")
        var lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[2] = lines[2].contains("\"prediction\":1") ? lines[2].replacingOccurrences(of: "\"prediction\":1", with: "\"prediction\":0")
            : lines[2].replacingOccurrences(of: "\"prediction\":0", with: "\"prediction\":1")
        let open = try XCTUnwrap(lines[7].range(of: "\"logits\":["))
        let close = try XCTUnwrap(lines[7][open.upperBound...].firstIndex(of: ","))
        let v = try XCTUnwrap(Float(String(lines[7][open.upperBound..<close])))
        lines[7].replaceSubrange(open.upperBound..<close, with: "\(v.nextUp)")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)

        let same = try CLI.run(["reproduce", folder.path])
        XCTAssertNotEqual(same.status, 0, same.stdout)
        XCTAssertTrue(same.stdout.contains("MISMATCH") && !same.stdout.contains("DRIFT"), same.stdout)

        var manifest = try Self.manifest(folder)
        var env = try XCTUnwrap(manifest["environment"] as? [String: Any])
        env["cpu"] = "Intel(R) Xeon(R) Platinum 8480+"
        env["blas_core"] = "SkylakeX"
        manifest["environment"] = env
        try JSONSerialization.data(withJSONObject: manifest, options: [.sortedKeys, .prettyPrinted])
            .write(to: folder.appendingPathComponent("manifest.json"))
        let other = try CLI.run(["reproduce", folder.path])
        XCTAssertEqual(other.status, 0, other.stdout + other.stderr)
        let row = other.stdout.split(separator: "\n").first { $0.hasPrefix("fp32") && $0.contains("predictions @1 thread") }
        XCTAssertTrue(row?.hasSuffix("DRIFT") == true, other.stdout)
        XCTAssertTrue(other.stdout.contains("BLAS core SkylakeX → "), other.stdout)
        XCTAssertTrue(other.stdout.contains("CPU Intel(R) Xeon(R) Platinum 8480+ → "), other.stdout)
        let logits = other.stdout.split(separator: "\n").first { $0.hasPrefix("  fp32 ") }
        XCTAssertTrue(logits?.contains("not bit-identical") == true, other.stdout)
        XCTAssertTrue(other.stdout.contains("Not reproduced bit for bit"), other.stdout)
    }
}
