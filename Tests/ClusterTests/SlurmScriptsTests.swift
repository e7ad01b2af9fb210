import _TestSupport
import Cluster
import Foundation
import Sweep
import XCTest

/// The batch scripts as text: array range and parallelism, the #SBATCH options asked for, quoting.
final class SlurmScriptsTests: XCTestCase {
    static let plan = SweepPlan(run: "tiny-20260101T000000Z", config: "/data/my configs/tiny.yaml", configSHA256: String(repeating: "a", count: 64),
                                model: nil, workingDirectory: "/home/ada/quantbench",
                                cells: (0..<4).map { SweepPlan.Cell(index: $0, kind: $0 == 0 ? "baseline" : "scheme", rows: ["s\($0)"]) })

    func testArraySpec() {
        XCTAssertEqual(SlurmScripts.arraySpec([0, 1, 2, 3], total: 4, parallelism: 2), "0-3%2")
        XCTAssertEqual(SlurmScripts.arraySpec([0, 1, 2, 3], total: 4, parallelism: nil), "0-3")
        XCTAssertEqual(SlurmScripts.arraySpec([1, 3], total: 4, parallelism: nil), "1,3")
    }

    func testCellsScript() {
        let dir = URL(fileURLWithPath: "/shared/runs/tiny.cells")
        let options = SlurmOptions(partition: "cpu", time: "30:00", cpusPerTask: 4, arrayParallelism: 2, exclusive: true)
        let s = SlurmScripts.cells(Self.plan, runDirectory: dir, options: options, qbench: "/opt/qb/qbench", name: "tiny")
        let lines = s.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "#!/bin/bash")
        for l in ["#SBATCH --array=0-3%2", "#SBATCH --cpus-per-task=4", "#SBATCH --partition=cpu", "#SBATCH --time=30:00",
                  "#SBATCH --exclusive", "#SBATCH --output=/shared/runs/tiny.cells/slurm/logs/cell-%a.out",
                  "#SBATCH --chdir=/home/ada/quantbench", "#SBATCH --job-name=qbench-tiny"] {
            XCTAssertTrue(lines.contains(l), "missing \(l) in\n\(s)")
        }
        XCTAssertEqual(lines.last, "exec /opt/qb/qbench sweep '/data/my configs/tiny.yaml' --run-dir /shared/runs/tiny.cells --exclusive")
        // #SBATCH lines must come before the first command.
        let firstCommand = lines.firstIndex { !$0.hasPrefix("#") }!
        XCTAssertFalse(lines[firstCommand...].contains { $0.hasPrefix("#SBATCH") })
    }

    func testMergeScriptAndSharedNode() {
        let dir = URL(fileURLWithPath: "/shared/runs/tiny.cells")
        let options = SlurmOptions(cpusPerTask: 1)
        let cells = SlurmScripts.cells(Self.plan, runDirectory: dir, options: options, qbench: "/q", name: "tiny")
        XCTAssertFalse(cells.contains("--exclusive"))
        XCTAssertFalse(cells.contains("--partition"))
        XCTAssertTrue(cells.contains("#SBATCH --array=0-3\n"))
        let merge = SlurmScripts.merge(Self.plan, runDirectory: dir, options: options, qbench: "/q", name: "tiny")
        XCTAssertTrue(merge.contains("#SBATCH --kill-on-invalid-dep=yes\n"), merge)
        XCTAssertTrue(merge.hasSuffix("exec /q sweep --merge /shared/runs/tiny.cells\n"), merge)
    }

    func testShellQuoting() {
        XCTAssertEqual(SlurmScripts.shell(["a", "b c", "it's", ""]), "a 'b c' 'it'\\''s' ''")
    }

    func testOptionsValidation() {
        XCTAssertThrowsError(try SlurmOptions(partition: "cpu\n#SBATCH --x", cpusPerTask: 1).validate())
        XCTAssertThrowsError(try SlurmOptions(cpusPerTask: 0).validate())
        XCTAssertNoThrow(try SlurmOptions(partition: "gpu-a100", time: "1-00:00:00", cpusPerTask: 8).validate())
    }
}
