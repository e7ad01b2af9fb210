import _TestSupport
import Foundation
import XCTest

/// A killed writer leaves a `TemporaryName` (`.<name>.partial-<pid>-<uuid>`) beside its destination; the next run
/// of any writer into that folder removes the ones whose process is gone, and leaves a live process's alone.
final class LeftoversCLITests: XCTestCase {
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path
    /// A process id no process has (above Linux's pid_max).
    let deadPID = 2_147_483_000

    /// Plants a stale temporary folder (with a partial file) and file of a dead process in `dir`, plus one of
    /// this (live) test process; returns (stale, live).
    func plant(in dir: URL, for name: String) throws -> (stale: [URL], live: URL) {
        let fm = FileManager.default
        let folder = dir.appendingPathComponent(".\(name).partial-\(deadPID)-\(UUID().uuidString)")
        try fm.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(repeating: 7, count: 100).write(to: folder.appendingPathComponent("model.safetensors"))
        let file = dir.appendingPathComponent(".\(name).partial-\(deadPID)")
        try Data("partial".utf8).write(to: file)
        let live = dir.appendingPathComponent(".\(name).partial-\(getpid())-\(UUID().uuidString)")
        try Data("mine".utf8).write(to: live)
        return ([folder, file], live)
    }

    func testEveryWriterCleansStaleTemporariesOfDeadProcesses() throws {
        let root = try CLI.tempDir()
        let writers: [(name: String, args: (URL) -> [String])] = [
            ("q", { ["quantize", "--model", Fixtures.tinyBert.path, "--scheme", "pytorch-dynamic", "--out", $0.path] }),
            ("s.h5", { ["stats", "--model", Fixtures.tinyBert.path, "--data", self.dev, "--scheme", "fp16", "--limit", "4",
                        "--out", $0.path] }),
            ("p.jsonl", { ["eval", "--model", Fixtures.tinyBert.path, "--data", self.dev, "--predictions", $0.path] }),
            ("b.json", { ["bench", "--model", Fixtures.tinyBert.path, "--data", self.dev, "--limit", "4", "--repeats", "1",
                          "--threads", "1", "--json", $0.path] }),
            ("m", { ["model", "init", "--preset", "bert-tiny", "--out", $0.path,
                     "--vocab", Fixtures.tinyBert.appendingPathComponent("vocab.txt").path] }),
        ]
        for w in writers {
            let dir = root.appendingPathComponent("out-\(w.name)")
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            let (stale, live) = try plant(in: dir, for: w.name)
            let out = dir.appendingPathComponent(w.name)
            let r = try CLI.run(w.args(out))
            XCTAssertEqual(r.status, 0, "\(w.name): \(r.stderr)")
            XCTAssertTrue(FileManager.default.fileExists(atPath: out.path), w.name)
            for s in stale { XCTAssertFalse(FileManager.default.fileExists(atPath: s.path), "\(w.name) left \(s.lastPathComponent)") }
            XCTAssertTrue(FileManager.default.fileExists(atPath: live.path), "\(w.name) removed a live process's temporary")
        }
    }

    /// `reproduce` trains a run's QAT rows in a scratch folder of the system's temporary folder: a `TemporaryName`,
    /// so one a killed reproduction left there is removed by the next, and none is left after a run.
    func testReproduceCleansAbandonedQATScratch() throws {
        let run = try SweepCLITests.sweep()
        let tmp = try CLI.tempDir()
        let stale = tmp.appendingPathComponent(".qbench-qat.partial-\(deadPID)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stale.appendingPathComponent("q8bert-static+qat"),
                                                withIntermediateDirectories: true)
        let r = try CLI.run(["reproduce", run.folder.path], env: ["TMPDIR": tmp.path])
        XCTAssertEqual(r.status, 0, r.stdout + r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale.path), "the abandoned QAT scratch folder is still there")
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path).filter { $0.contains("qbench-qat") }
        XCTAssertEqual(left, [], "reproduce left its QAT scratch folder")
    }
}
