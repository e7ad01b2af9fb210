import _TestSupport
import Foundation
import XCTest

/// `qbench sweep --plan / --run-dir --cell / --merge` on the tiny fixture: a sweep run cell by cell and merged
/// writes the same run folder as the same sweep run in one process (timings aside), and the merge refuses
/// missing cells and cells that do not belong together.
final class SweepCellsCLITests: XCTestCase {
    /// The config, the cell-by-cell run directory with its merged run folder, and a one-machine run folder.
    struct Runs {
        var root: URL
        var config: URL
        var runDirectory: URL
        var merged: URL
        var single: URL
        var plan: [String: Any]
    }

    nonisolated(unsafe) static var cached: Runs?

    static func tinyConfig(in root: URL, name: String = "tiny-cells") throws -> URL {
        let config = root.appendingPathComponent("\(name).yaml")
        try """
            name: \(name)
            model: \(Fixtures.tinyBert.path)
            data: {path: \(Fixtures.mrpc.path), split: dev, limit: 12}
            batching: {batch_size: 4, max_seq_length: 32, pad_to_max: true}
            schemes: [pytorch-dynamic, q8bert-static]
            sweep:
              base: q8bert-dynamic
              axes: {requantize_output: [true, false]}
            qat:
              - {scheme: q8bert-static, train_examples: 8, epochs: 1, lr: 1.0e-4, batch_size: 4}
            threads: [1, 2]
            calibration: {examples: 8}
            statistics: {}
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    static func runs() throws -> Runs {
        if let cached { return cached }
        let root = try CLI.tempDir()
        let config = try tinyConfig(in: root)
        let dir = root.appendingPathComponent("cells-run")
        let p = try CLI.run(["sweep", config.path, "--plan", "--json", "--run-dir", dir.path])
        guard p.status == 0 else { throw CLI.Failure("plan failed (\(p.status)): \(p.stderr)") }
        let plan = try JSONSerialization.jsonObject(with: Data(p.stdout.utf8)) as! [String: Any]
        let cells = plan["cells"] as! [[String: Any]]
        for i in cells.indices.reversed() {   // any order: cells are independent
            // The index may come from the scheduler's variable instead of --cell.
            let r = i == 1 ? try CLI.run(["sweep", config.path, "--run-dir", dir.path], env: ["SLURM_ARRAY_TASK_ID": "1"])
                : try CLI.run(["sweep", config.path, "--run-dir", dir.path, "--cell", String(i)])
            guard r.status == 0 else { throw CLI.Failure("cell \(i) failed (\(r.status)): \(r.stderr)") }
        }
        let m = try CLI.run(["sweep", "--merge", dir.path])
        guard m.status == 0 else { throw CLI.Failure("merge failed (\(m.status)): \(m.stderr)") }
        let s = try CLI.run(["sweep", config.path])
        guard s.status == 0 else { throw CLI.Failure("sweep failed (\(s.status)): \(s.stderr)") }
        let single = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        guard single.count == 1 else { throw CLI.Failure("expected one run folder, found \(single)") }
        let runs = Runs(root: root, config: config, runDirectory: dir, merged: dir.appendingPathComponent(plan["run"] as! String),
                        single: root.appendingPathComponent("runs/\(single[0])"), plan: plan)
        cached = runs
        return runs
    }

    func testPlanListsStableCells() throws {
        let runs = try Self.runs()
        let cells = runs.plan["cells"] as! [[String: Any]]
        XCTAssertEqual(cells.map { $0["index"] as! Int }, Array(0..<7))
        XCTAssertEqual(cells.map { $0["kind"] as! String }, ["baseline", "scheme", "scheme", "sweep", "sweep", "qat", "statistics"])
        XCTAssertEqual(cells[0]["rows"] as? [String], ["fp32"])
        XCTAssertEqual(cells[5]["rows"] as? [String], ["q8bert-static+qat"])
        XCTAssertTrue((runs.plan["run"] as! String).hasPrefix("tiny-cells-"))
        // The same config plans the same cells again; the run directory keeps its run id.
        let again = try CLI.run(["sweep", runs.config.path, "--plan", "--run-dir", runs.runDirectory.path])
        XCTAssertEqual(again.status, 0, again.stderr)
        XCTAssertTrue(again.stdout.contains("7 cells; run id \(runs.plan["run"] as! String)"), again.stdout)
        XCTAssertTrue(again.stdout.contains("   5  qat         q8bert-static+qat"), again.stdout)
        XCTAssertTrue(again.stdout.contains("   6  statistics  stats.h5"), again.stdout)
    }

    /// results.json / .csv / .md, predictions, QAT models and stats.h5 datasets equal the one-machine sweep's.
    func testMergedRunEqualsOneMachineRun() throws {
        let runs = try Self.runs()
        let (a, b) = (runs.merged, runs.single)
        let fm = FileManager.default
        XCTAssertEqual(try fm.contentsOfDirectory(atPath: a.path).sorted(), try fm.contentsOfDirectory(atPath: b.path).sorted())

        func results(_ folder: URL) throws -> NSDictionary { try Self.comparableResults(folder) }
        XCTAssertEqual(try results(a), try results(b))
        let rows = try JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("results.json"))) as! [String: Any]
        XCTAssertEqual((rows["schemes"] as! [[String: Any]]).count, 6)
        try assertSameFolders(merged: a, single: b)
    }

    /// results.json without the run id and the timings (thread counts kept).
    static func comparableResults(_ folder: URL) throws -> NSDictionary {
            var r = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json"))) as! [String: Any]
            r["run"] = nil
            r["schemes"] = (r["schemes"] as! [[String: Any]]).map { row -> [String: Any] in
                var row = row
                row["timings"] = (row["timings"] as! [[String: Any]]).map { $0["threads"] as! Int }
                if var t = row["training"] as? [String: Any] { t["seconds"] = nil; row["training"] = t }
                return row
            }
            return r as NSDictionary
    }

    /// Markdown, CSV, predictions, QAT models, stats.h5, manifest of `merged` against `single` (timings aside).
    func assertSameFolders(merged a: URL, single b: URL) throws {
        let fm = FileManager.default

        /// Every line with its numbers of seconds, speed-ups and dates blanked, run ids removed.
        func masked(_ folder: URL, _ file: String) throws -> [String] {
            let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
                .replacingOccurrences(of: folder.lastPathComponent, with: "RUN")
            var inTimings = false
            return text.split(separator: "\n", omittingEmptySubsequences: false).compactMap { line -> String? in
                // The run line and the block on how rows were timed (one process vs cells) differ by design.
                if line.hasPrefix("Timings:") { inTimings = true }
                if line.hasPrefix("Thread invariance") || line.hasPrefix("One thread count") { inTimings = false }
                if line.hasPrefix("Run `") || inTimings { return nil }
                var cols = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
                if file == "results.md", line.hasPrefix("| "), cols.count == 13 {   // the main table (with McNemar p)
                    for i in 5...8 { cols[i] = "t" }   // s at 1 and 2 threads, speed-ups
                    return cols.joined(separator: "|")
                }
                if file == "results.md", line.hasPrefix("| q8bert-static+qat | 1 |") {
                    cols[8] = "t"   // training seconds
                    return cols.joined(separator: "|")
                }
                if file == "results.csv" {
                    var f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
                    if let header = text.split(separator: "\n").first?.split(separator: ",").map(String.init) {
                        for (i, h) in header.enumerated() where i < f.count && (h.hasPrefix("seconds_t") || h.hasPrefix("speedup_t")) {
                            f[i] = "t"
                        }
                    }
                    return f.joined(separator: ",")
                }
                return String(line)
            }
        }
        XCTAssertEqual(try masked(a, "results.md"), try masked(b, "results.md"))
        XCTAssertEqual(try masked(a, "results.csv"), try masked(b, "results.csv"))

        for sub in ["predictions", "qat"] {
            let files = try fm.subpathsOfDirectory(atPath: b.appendingPathComponent(sub).path).sorted()
            XCTAssertEqual(try fm.subpathsOfDirectory(atPath: a.appendingPathComponent(sub).path).sorted(), files)
            XCTAssertFalse(files.isEmpty)
            for f in files {
                var isDir: ObjCBool = false
                guard fm.fileExists(atPath: b.appendingPathComponent("\(sub)/\(f)").path, isDirectory: &isDir), !isDir.boolValue else { continue }
                XCTAssertEqual(try Data(contentsOf: a.appendingPathComponent("\(sub)/\(f)")),
                               try Data(contentsOf: b.appendingPathComponent("\(sub)/\(f)")), "\(sub)/\(f) differs")
            }
        }
        // Every dataset and attribute of stats.h5 but the root's (command line, creation time).
        let h5 = try CLI.runTool("h5diff", ["--exclude-attribute", "/", a.appendingPathComponent("stats.h5").path,
                                            b.appendingPathComponent("stats.h5").path])
        XCTAssertEqual(h5.status, 0, "stats.h5 datasets differ: \(h5.stdout) \(h5.stderr)")

        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: a.appendingPathComponent("manifest.json"))) as! [String: Any]
        let cells = try XCTUnwrap(manifest["cells"] as? [[String: Any]])
        XCTAssertEqual(cells.count, 7)
        for c in cells {
            for key in ["host", "cpu", "kernel_family", "blas_core", "started", "finished"] {
                XCTAssertFalse((c[key] as? String ?? "").isEmpty, "cell \(c["index"] ?? "?") lacks \(key)")
            }
        }
        XCTAssertEqual(cells[1]["scheduler"] as? String, nil, "SLURM_ARRAY_TASK_ID alone is not a Slurm job")
        XCTAssertEqual(manifest["statistics"] as? String, "stats.h5")
        let single = try JSONSerialization.jsonObject(with: Data(contentsOf: b.appendingPathComponent("manifest.json"))) as! [String: Any]
        XCTAssertNil(single["cells"])
        XCTAssertEqual(NSArray(array: manifest["files"] as! [Any]), NSArray(array: single["files"] as! [Any]))
        let cff = try String(contentsOf: a.appendingPathComponent("CITATION.cff"), encoding: .utf8)
        XCTAssertTrue(cff.contains("version: \"\(a.lastPathComponent)\""), cff)

        // The merged run reproduces.
        let rep = try CLI.run(["reproduce", a.path])
        XCTAssertEqual(rep.status, 0, rep.stdout + rep.stderr)
        XCTAssertFalse(rep.stdout.contains("MISMATCH"), rep.stdout)
    }

    /// A missing and a failed cell are named with the commands that rerun them; nothing is written.
    func testMergeNamesMissingCells() throws {
        let runs = try Self.runs()
        let copy = runs.root.appendingPathComponent("missing-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: runs.runDirectory, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent(runs.merged.lastPathComponent))
        try FileManager.default.removeItem(at: copy.appendingPathComponent("cells/2"))
        try FileManager.default.removeItem(at: copy.appendingPathComponent("cells/4"))
        try #"{"index": 4, "host": "node7", "time": "2026-01-01T00:00:00Z", "error": "out of memory"}"#
            .write(to: copy.appendingPathComponent("cells/4.failed.json"), atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep", "--merge", copy.path])
        XCTAssertEqual(r.status, 1, r.stderr)
        let lines = r.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("2 of 7 cells not done: 2 (q8bert-static; missing), 4 (ablation"), r.stderr)
        XCTAssertTrue(r.stderr.contains("failed on node7: out of memory"), r.stderr)
        XCTAssertTrue(r.stderr.contains("qbench sweep \(runs.config.path) --run-dir \(copy.path) --cell 2"), r.stderr)
        XCTAssertTrue(r.stderr.contains("--cell 4`"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy.appendingPathComponent(runs.merged.lastPathComponent).path))

        // Rerunning the missing cells completes the run; merging gives the same results.
        for i in [2, 4] {
            let c = try CLI.run(["sweep", runs.config.path, "--run-dir", copy.path, "--cell", String(i)])
            XCTAssertEqual(c.status, 0, c.stderr)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy.appendingPathComponent("cells/4.failed.json").path),
                       "a cell that succeeds removes its failure record")
        let m = try CLI.run(["sweep", "--merge", copy.path])
        XCTAssertEqual(m.status, 0, m.stderr)
        let merged = copy.appendingPathComponent(runs.merged.lastPathComponent)
        for f in ["predictions/q8bert-static.threads-2.jsonl", "predictions/ablation.requant-off.threads-1.jsonl"] {
            XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent(f)), try Data(contentsOf: runs.merged.appendingPathComponent(f)), f)
        }
        // A second merge does not overwrite the run folder.
        let again = try CLI.run(["sweep", "--merge", copy.path])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already exists"), again.stderr)
    }

    /// Cells of another config, build or model are refused with one line naming the cell.
    func testMergeRefusesCellsThatDoNotBelongTogether() throws {
        let runs = try Self.runs()
        let cases: [(String, (inout [String: Any]) -> Void, String)] = [
            ("config", { $0["config_sha256"] = String(repeating: "0", count: 64) }, "made from config sha256 0000000000000000…"),
            ("commit", { r in var e = r["environment"] as! [String: Any]; e["git_commit"] = "feedface"; r["environment"] = e },
             "at commit feedface"),
            ("model", { r in
                var files = r["files"] as! [[String: Any]]
                let i = files.firstIndex { $0["name"] as? String == "model.safetensors" }!
                files[i]["sha256"] = String(repeating: "a", count: 64)
                r["files"] = files
            }, "read model file model.safetensors with sha256 aaaaaaaaaaaaaaaa…"),
            ("malformed", { r in var row = r["row"] as! [String: Any]; row["seconds"] = [[0.1]]; r["row"] = row },
             "key row.seconds: 1 entries; expected one per thread count (2)"),
        ]
        for (name, change, message) in cases {
            let copy = runs.root.appendingPathComponent("\(name)-\(UUID().uuidString)")
            try FileManager.default.copyItem(at: runs.runDirectory, to: copy)
            try FileManager.default.removeItem(at: copy.appendingPathComponent(runs.merged.lastPathComponent))
            let url = copy.appendingPathComponent("cells/3/cell.json")
            var record = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            change(&record)
            try JSONSerialization.data(withJSONObject: record).write(to: url)
            let r = try CLI.run(["sweep", "--merge", copy.path])
            XCTAssertEqual(r.status, 1, "\(name): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "\(name): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains("cells/3/cell.json") && r.stderr.contains(message), "\(name): \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: copy.appendingPathComponent(runs.merged.lastPathComponent).path))
        }
        // A cell of another config is refused before it runs.
        let other = try Self.tinyConfig(in: runs.root, name: "other-cells")
        let r = try CLI.run(["sweep", other.path, "--run-dir", runs.runDirectory.path, "--cell", "0"])
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("plan.json: key config_sha256") && r.stderr.contains("another sweep"), r.stderr)
    }

    /// results.md says where each row was timed, and a row timed on another CPU model than FP32 gets no speed-up
    /// (in results.json, .csv and .md).
    func testRowsFromAnotherCPUModelGetNoSpeedup() throws {
        let runs = try Self.runs()
        let md = try String(contentsOf: runs.merged.appendingPathComponent("results.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| row | cell | host | CPU | kernel family | node |"), md)
        XCTAssertTrue(md.contains("| q8bert-static+qat | 5 | "), md)
        XCTAssertTrue(md.contains("| outside a scheduler |"), md)
        let single = try String(contentsOf: runs.single.appendingPathComponent("results.md"), encoding: .utf8)
        XCTAssertTrue(single.contains("Timings: every row in one process on "), single)

        let copy = runs.root.appendingPathComponent("cpu-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: runs.runDirectory, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent(runs.merged.lastPathComponent))
        let url = copy.appendingPathComponent("cells/2/cell.json")
        var record = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        var cell = record["cell"] as! [String: Any]
        cell["cpu"] = "Other CPU 9000"
        record["cell"] = cell
        try JSONSerialization.data(withJSONObject: record).write(to: url)
        let r = try CLI.run(["sweep", "--merge", copy.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        let folder = copy.appendingPathComponent(runs.merged.lastPathComponent)
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json"))) as! [String: Any]
        for row in results["schemes"] as! [[String: Any]] {
            let speedups = (row["timings"] as! [[String: Any]]).map { $0["speedup"] as? Double }
            XCTAssertEqual(speedups.contains(nil), row["scheme"] as? String == "q8bert-static", "\(row["scheme"]!): \(speedups)")
        }
        let merged = try String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8)
        let line = try XCTUnwrap(merged.split(separator: "\n").first { $0.hasPrefix("| q8bert-static |") })
        XCTAssertEqual(line.split(separator: "|")[6...7].map { $0.trimmingCharacters(in: .whitespaces) }, ["—", "—"], String(line))
        XCTAssertTrue(merged.contains("**Speed-ups left out** for `q8bert-static`: timed on another CPU model than FP32"), merged)
        XCTAssertTrue(merged.contains("Rows were timed on 2 CPU models"), merged)
        let csv = try String(contentsOf: folder.appendingPathComponent("results.csv"), encoding: .utf8)
        let table = csv.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let column = try XCTUnwrap(table[0].firstIndex(of: "speedup_t1"))
        XCTAssertEqual(table.first { $0[0] == "q8bert-static" }?[column...].prefix(2), ["", ""], csv)
        XCTAssertNotEqual(table.first { $0[0] == "pytorch-dynamic" }?[column], "", csv)
    }

    func testUsageErrors() throws {
        let runs = try Self.runs()
        let cases: [([String], [String: String], String)] = [
            (["sweep", runs.config.path, "--run-dir", runs.runDirectory.path, "--cell", "7"], [:], "cell 7 does not exist"),
            (["sweep", runs.config.path, "--run-dir", runs.runDirectory.path], ["SLURM_ARRAY_TASK_ID": "x"], "SLURM_ARRAY_TASK_ID='x'"),
            (["sweep", runs.config.path, "--run-dir", runs.runDirectory.path], [:], "no cell index"),
            (["sweep", runs.config.path, "--merge", runs.runDirectory.path], [:], "--merge DIR takes no experiment file"),
            (["sweep", runs.config.path, "--cell", "1"], [:], "--cell and --exclusive need --run-dir"),
            (["sweep", runs.config.path, "--json"], [:], "--json goes with --plan"),
        ]
        for (args, env, message) in cases {
            let r = try CLI.run(args, env: env, unset: ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"].filter { env[$0] == nil })
            XCTAssertEqual(r.status, 64, "\(args): \(r.stderr)")
            XCTAssertTrue(r.stderr.contains(message), "\(args): \(r.stderr)")
        }
        let done = try CLI.run(["sweep", runs.config.path, "--run-dir", runs.runDirectory.path, "--cell", "0"])
        XCTAssertEqual(done.status, 1)
        XCTAssertTrue(done.stderr.contains("cell 0 is already done"), done.stderr)
    }
}
