import _TestSupport
import Foundation
import XCTest
import Yams

/// `qbench k8s manifest`: the Indexed Job and the merge Job, parsed back with Yams (no cluster can run here).
final class K8sCLITests: XCTestCase {
    func testManifestIsAnIndexedJobAndAMergeJob() throws {
        let root = try CLI.tempDir()
        let config = try SlurmCLITests.config(in: root)   // 4 cells, threads [1]
        let out = root.appendingPathComponent("k8s")
        let r = try CLI.run(["k8s", "manifest", config.path, "--image", "ghcr.io/example/quantbench:1.0", "--volume-claim", "qb-shared",
                             "--mount-path", "/mnt/qb", "--parallelism", "3", "--cpus", "2", "--run-dir", "runs/tiny.cells",
                             "--out", out.path])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("kubectl wait --for=condition=complete --timeout=24h job/qbench-tiny-slurm-cells"), r.stdout)

        let cells = try XCTUnwrap(try Yams.load(yaml: String(contentsOf: out.appendingPathComponent("cells-job.yaml"), encoding: .utf8)) as? [String: Any])
        XCTAssertEqual(cells["apiVersion"] as? String, "batch/v1")
        XCTAssertEqual(cells["kind"] as? String, "Job")
        let meta = try XCTUnwrap(cells["metadata"] as? [String: Any])
        XCTAssertEqual(meta["name"] as? String, "qbench-tiny-slurm-cells")
        let spec = try XCTUnwrap(cells["spec"] as? [String: Any])
        XCTAssertEqual(spec["completionMode"] as? String, "Indexed")
        XCTAssertEqual(spec["completions"] as? Int, 4)
        XCTAssertEqual(spec["parallelism"] as? Int, 3)
        let pod = try XCTUnwrap((spec["template"] as? [String: Any])?["spec"] as? [String: Any])
        XCTAssertEqual(pod["restartPolicy"] as? String, "Never")
        let container = try XCTUnwrap((pod["containers"] as? [[String: Any]])?.first)
        XCTAssertEqual(container["image"] as? String, "ghcr.io/example/quantbench:1.0")
        XCTAssertEqual(container["workingDir"] as? String, "/mnt/qb")
        XCTAssertEqual(container["command"] as? [String], ["qbench", "sweep", config.path, "--run-dir", "runs/tiny.cells"],
                       "the index comes from JOB_COMPLETION_INDEX")
        let resources = try XCTUnwrap(container["resources"] as? [String: [String: Any]])
        XCTAssertEqual(resources["requests"]?["cpu"] as? String, "2")
        XCTAssertEqual(resources["limits"]?["cpu"] as? String, "2")
        XCTAssertEqual((container["volumeMounts"] as? [[String: Any]])?.first?["mountPath"] as? String, "/mnt/qb")
        let volume = try XCTUnwrap((pod["volumes"] as? [[String: Any]])?.first)
        XCTAssertEqual((volume["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String, "qb-shared")
        XCTAssertEqual(volume["name"] as? String, (container["volumeMounts"] as? [[String: Any]])?.first?["name"] as? String)

        let merge = try XCTUnwrap(try Yams.load(yaml: String(contentsOf: out.appendingPathComponent("merge-job.yaml"), encoding: .utf8)) as? [String: Any])
        let mspec = try XCTUnwrap(merge["spec"] as? [String: Any])
        XCTAssertNil(mspec["completionMode"])
        XCTAssertEqual(mspec["completions"] as? Int, 1)
        let mpod = try XCTUnwrap((mspec["template"] as? [String: Any])?["spec"] as? [String: Any])
        XCTAssertEqual((mpod["containers"] as? [[String: Any]])?.first?["command"] as? [String],
                       ["qbench", "sweep", "--merge", "runs/tiny.cells"])
        XCTAssertEqual(((mpod["volumes"] as? [[String: Any]])?.first?["persistentVolumeClaim"] as? [String: Any])?["claimName"] as? String,
                       "qb-shared")

        // The pods' command is the one a cell runs: JOB_COMPLETION_INDEX picks the cell.
        let dir = root.appendingPathComponent("runs/tiny.cells")
        let cell = try CLI.run(["sweep", config.path, "--run-dir", dir.path], env: ["JOB_COMPLETION_INDEX": "3"],
                               unset: ["SLURM_ARRAY_TASK_ID"])
        XCTAssertEqual(cell.status, 0, cell.stderr)
        let record = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("cells/3/cell.json"))) as! [String: Any]
        XCTAssertEqual((record["cell"] as? [String: Any])?["scheduler"] as? String, "kubernetes index 3"
                       + (ProcessInfo.processInfo.environment["HOSTNAME"].map { " (pod \($0))" } ?? ""))

        let bad = try CLI.run(["k8s", "manifest", config.path, "--image", "x", "--volume-claim", "Not_A_Name"])
        XCTAssertEqual(bad.status, 64)
        XCTAssertTrue(bad.stderr.contains("--volume-claim 'Not_A_Name'"), bad.stderr)
    }
}
