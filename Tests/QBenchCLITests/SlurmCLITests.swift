import _TestSupport
import Foundation
import XCTest

/// `qbench slurm` on a real Slurm: a tiny sweep submitted with `--wait` merges into the same results as the sweep
/// run in one process; a cancelled array task is named by `--wait`, `merge` and `status`, and `resubmit` completes
/// the run. CI (`.ci/run`) starts a one-node cluster on localhost (Tools/slurm/local-cluster.sh); outside CI these
/// tests skip when `sbatch` is not on PATH, in CI (CI=true) they fail. `--dry-run` needs no Slurm.
final class SlurmCLITests: XCTestCase {
    static func requireSlurm() throws {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        if path.split(separator: ":").contains(where: { FileManager.default.isExecutableFile(atPath: "\($0)/sbatch") }) { return }
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            throw CLI.Failure("sbatch is not on PATH in CI: .ci/run must install slurm-wlm and start Tools/slurm/local-cluster.sh")
        }
        throw XCTSkip("sbatch not on PATH (install slurm-wlm and run Tools/slurm/local-cluster.sh start)")
    }

    /// Four cells: fp32, pytorch-dynamic, q8bert-static, stats.h5.
    static func config(in root: URL) throws -> URL {
        let config = root.appendingPathComponent("tiny-slurm.yaml")
        try """
            name: tiny-slurm
            model: \(Fixtures.tinyBert.path)
            data: {path: \(Fixtures.mrpc.path), split: dev, limit: 12}
            batching: {batch_size: 4, max_seq_length: 32, pad_to_max: true}
            schemes: [pytorch-dynamic, q8bert-static]
            threads: [1]
            calibration: {examples: 8}
            statistics: {}
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        return config
    }

    nonisolated(unsafe) static var single: URL?

    /// The same sweep in one process.
    static func oneMachineRun() throws -> URL {
        if let single { return single }
        let root = try CLI.tempDir()
        let copy = try Self.config(in: root)
        let r = try CLI.run(["sweep", copy.path])
        guard r.status == 0 else { throw CLI.Failure("sweep failed: \(r.stderr)") }
        let name = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)[0]
        single = root.appendingPathComponent("runs/\(name)")
        return single!
    }

    func testDryRunOnlyWritesTheScripts() throws {
        let root = try CLI.tempDir()
        let config = try Self.config(in: root)
        let dir = root.appendingPathComponent("dry")
        let r = try CLI.run(["slurm", "submit", config.path, "--run-dir", dir.path, "--partition", "cpu", "--time", "10:00",
                             "--cpus-per-task", "2", "--array-parallelism", "2", "--exclusive", "--dry-run"], env: ["PATH": "/usr/bin:/bin"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let cells = try String(contentsOf: dir.appendingPathComponent("slurm/cells.sbatch"), encoding: .utf8)
        for l in ["#SBATCH --array=0-3%2", "#SBATCH --partition=cpu", "#SBATCH --time=10:00", "#SBATCH --cpus-per-task=2",
                  "#SBATCH --exclusive"] {
            XCTAssertTrue(cells.contains(l + "\n"), "cells.sbatch lacks \(l)")
            XCTAssertTrue(r.stdout.contains(l), "stdout lacks \(l)")
        }
        XCTAssertTrue(cells.contains("sweep \(config.path) --run-dir \(dir.path) --exclusive\n"), cells)
        let merge = try String(contentsOf: dir.appendingPathComponent("slurm/merge.sbatch"), encoding: .utf8)
        XCTAssertTrue(merge.contains("sweep --merge \(dir.path)\n"), merge)
        XCTAssertTrue(r.stdout.contains("sbatch --parsable --dependency=afterok:<array job> \(dir.path)/slurm/merge.sbatch"), r.stdout)
        XCTAssertTrue(r.stdout.contains("nothing submitted"), r.stdout)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir.appendingPathComponent("slurm/jobs.json").path))
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("plan.json"))) as! [String: Any]
        XCTAssertEqual((plan["cells"] as! [Any]).count, 4)

        // Without sbatch, a real submit says so; bad options are usage errors.
        let none = try CLI.run(["slurm", "submit", config.path, "--run-dir", root.appendingPathComponent("x").path],
                               env: ["PATH": "/nonexistent"])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("sbatch: not found on PATH"), none.stderr)
        let bad = try CLI.run(["slurm", "submit", config.path, "--partition", "a b", "--dry-run"])
        XCTAssertEqual(bad.status, 64, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("--partition 'a b'"), bad.stderr)
    }

    func testSubmitWaitMergesLikeOneMachine() throws {
        try Self.requireSlurm()
        let root = try CLI.tempDir()
        let config = try Self.config(in: root)
        let dir = root.appendingPathComponent("slurm-run")
        let r = try CLI.run(["slurm", "submit", config.path, "--run-dir", dir.path, "--cpus-per-task", "1", "--wait",
                             "--wait-timeout", "240"])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertTrue(r.stdout.contains("submitted 4 cells as array job "), r.stdout)
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("plan.json"))) as! [String: Any]
        let merged = dir.appendingPathComponent(plan["run"] as! String)
        XCTAssertTrue(r.stdout.contains("merged: \(merged.path)"), r.stdout)

        let single = try Self.oneMachineRun()
        XCTAssertEqual(try SweepCellsCLITests.comparableResults(merged), try SweepCellsCLITests.comparableResults(single))
        for f in try FileManager.default.contentsOfDirectory(atPath: single.appendingPathComponent("predictions").path) {
            XCTAssertEqual(try Data(contentsOf: merged.appendingPathComponent("predictions/\(f)")),
                           try Data(contentsOf: single.appendingPathComponent("predictions/\(f)")), f)
        }
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: merged.appendingPathComponent("manifest.json"))) as! [String: Any]
        let cells = try XCTUnwrap(manifest["cells"] as? [[String: Any]])
        let jobs = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("slurm/jobs.json"))) as! [String: Any]
        let array = try XCTUnwrap((jobs["submissions"] as? [[String: Any]])?.first?["array_job"] as? String)
        XCTAssertEqual(cells.map { $0["scheduler"] as? String }, (0..<4).map { "slurm job \(array)_\($0)" })
        XCTAssertEqual(cells.map { $0["exclusive"] as? Bool }, [false, false, false, false], "shared node: not --exclusive")
        let md = try String(contentsOf: merged.appendingPathComponent("results.md"), encoding: .utf8)
        XCTAssertTrue(md.contains("| shared (slurm job \(array)_1) |"), md)

        let status = try CLI.run(["slurm", "status", dir.path])
        XCTAssertEqual(status.status, 0, status.stderr)
        XCTAssertTrue(status.stdout.contains("4 cells, 4 done, 0 failed"), status.stdout)
        XCTAssertTrue(status.stdout.contains("merged: \(merged.path)"), status.stdout)
        let rep = try CLI.run(["reproduce", merged.path])
        XCTAssertEqual(rep.status, 0, rep.stdout + rep.stderr)
        let again = try CLI.run(["slurm", "submit", config.path, "--run-dir", dir.path])
        XCTAssertEqual(again.status, 1)
        XCTAssertTrue(again.stderr.contains("already submitted"), again.stderr)
    }

    /// scancel of one array task: the other cells stay, `--wait` exits 1 naming the cell, `merge` names it with its
    /// command, `resubmit` runs only it, and the merged run equals the one-machine sweep.
    func testCancelledCellIsNamedAndResubmitted() throws {
        try Self.requireSlurm()
        let root = try CLI.tempDir()
        let config = try Self.config(in: root)
        let dir = root.appendingPathComponent("killed")
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["slurm", "submit", config.path, "--run-dir", dir.path, "--cpus-per-task", "1", "--array-parallelism", "1",
                       "--wait", "--wait-timeout", "240"]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let jobsFile = dir.appendingPathComponent("slurm/jobs.json")
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: jobsFile.path) && Date() < deadline { Thread.sleep(forTimeInterval: 0.1) }
        let jobs = try JSONSerialization.jsonObject(with: Data(contentsOf: jobsFile)) as! [String: Any]
        let array = try XCTUnwrap((jobs["submissions"] as? [[String: Any]])?.first?["array_job"] as? String)
        let cancel = try CLI.runTool("scancel", ["\(array)_2"])
        XCTAssertEqual(cancel.status, 0, cancel.stderr)
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        _ = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let message = String(decoding: stderr, as: UTF8.self)
        XCTAssertEqual(p.terminationStatus, 1, message)
        XCTAssertTrue(message.contains("not merged: ") && message.contains("1 of 4 cells not done: 2 (q8bert-static; missing)"), message)
        XCTAssertTrue(message.contains("qbench slurm resubmit \(dir.path)"), message)
        for i in [0, 1, 3] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dir.appendingPathComponent("cells/\(i)/cell.json").path), "cell \(i) intact")
        }
        let merge = try CLI.run(["sweep", "--merge", dir.path])
        XCTAssertEqual(merge.status, 1)
        XCTAssertTrue(merge.stderr.contains("--run-dir \(dir.path) --cell 2`"), merge.stderr)
        let status = try CLI.run(["slurm", "status", dir.path])
        XCTAssertTrue(status.stdout.contains("3 done, 0 failed, 1 not done"), status.stdout)
        XCTAssertTrue(status.stdout.contains("q8bert-static    missing"), status.stdout)

        let re = try CLI.run(["slurm", "resubmit", dir.path, "--wait", "--wait-timeout", "240"])
        XCTAssertEqual(re.status, 0, re.stdout + re.stderr)
        XCTAssertTrue(re.stdout.contains("resubmitted cells 2 as array job "), re.stdout)
        let plan = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("plan.json"))) as! [String: Any]
        let merged = dir.appendingPathComponent(plan["run"] as! String)
        XCTAssertEqual(try SweepCellsCLITests.comparableResults(merged),
                       try SweepCellsCLITests.comparableResults(try Self.oneMachineRun()))
        let nothing = try CLI.run(["slurm", "resubmit", dir.path])
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderr.contains("already merged"), nothing.stderr)
    }

    /// A cancelled merge job with every cell done: `resubmit` submits only a merge.
    func testResubmitAfterCancelledMergeSubmitsOnlyTheMerge() throws {
        try Self.requireSlurm()
        let root = try CLI.tempDir()
        let config = try Self.config(in: root)
        let dir = root.appendingPathComponent("merge-cancelled")
        let r = try CLI.run(["slurm", "submit", config.path, "--run-dir", dir.path, "--cpus-per-task", "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let jobs = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("slurm/jobs.json"))) as! [String: Any]
        let first = try XCTUnwrap((jobs["submissions"] as? [[String: Any]])?.first)
        let (array, merge) = (try XCTUnwrap(first["array_job"] as? String), try XCTUnwrap(first["merge_job"] as? String))
        XCTAssertEqual(try CLI.runTool("scancel", [merge]).status, 0)
        let deadline = Date().addingTimeInterval(240)
        while Date() < deadline {
            let q = try CLI.runTool("squeue", ["-h", "-j", "\(array),\(merge)"])
            if q.status == 0 && q.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { break }
            Thread.sleep(forTimeInterval: 1)
        }
        let status = try CLI.run(["slurm", "status", dir.path])
        XCTAssertTrue(status.stdout.contains("4 cells, 4 done, 0 failed, 0 not done"), status.stdout)
        XCTAssertTrue(status.stdout.contains("merge job \(merge): CANCELLED"), status.stdout)
        let re = try CLI.run(["slurm", "resubmit", dir.path, "--wait", "--wait-timeout", "240"])
        XCTAssertEqual(re.status, 0, re.stdout + re.stderr)
        XCTAssertTrue(re.stdout.contains("every cell is done: submitted the merge as job "), re.stdout)
        XCTAssertTrue(re.stdout.contains("merged: "), re.stdout)
    }
}
