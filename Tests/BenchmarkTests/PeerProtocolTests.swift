import _TestSupport
import Benchmark
import BERT
import Experiments
import Foundation
import XCTest

/// The line protocol against a fake peer (`FakePeer`, a shell script): start-up, warm-up and alternation order,
/// and every way a peer can misbehave — dying mid-run, garbage, another digest, a wrong echo, an error line,
/// hanging, flooding, a bad exit. Nothing here looks at a timing value.
final class PeerProtocolTests: XCTestCase {
    var fake: (python: String, log: String, dir: URL)!

    override func setUpWithError() throws {
        fake = try FakePeer.make()
        setenv("FAKE_LOG", fake.log, 1)
        for k in ["FAKE_MODE", "FAKE_SHA", "FAKE_SECONDS"] { unsetenv(k) }
    }

    override func tearDownWithError() throws {
        for k in ["FAKE_LOG", "FAKE_MODE", "FAKE_SHA", "FAKE_SECONDS"] { unsetenv(k) }
        try? FileManager.default.removeItem(at: fake.dir)
    }

    func message(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    /// One session: ready line parsed, warm-up and timed passes answered and checked, quit → bye → exit 0.
    func testSessionStartsPassesAndStops() throws {
        let s = try FakePeer.process(fake.python).start(threads: 2, examples: 3, digest: "abc")
        XCTAssertEqual(s.configurations.map(\.name), ["p-fp32", "p-int8"])
        XCTAssertEqual(s.configurations[1].displayName, "pytorch quantize_dynamic [onednn]")
        XCTAssertEqual(s.unavailable.map(\.reason), ["not available: fake"])
        XCTAssertEqual(s.ready.torch?.supportedQuantizedEngines, ["x86", "onednn"])
        let w = try s.pass("p-int8", number: 1, warmUp: true)
        XCTAssertEqual(w.event, "warmup")
        let r = try s.pass("p-fp32", number: 2, warmUp: false)
        XCTAssertEqual(r, PeerPassReply(event: "pass", config: "p-fp32", pass: 2, seconds: 1.5, cpuSeconds: 1.0,
                                        inputSHA256: "abc", predictions: [1, 0, 1], f1: 0.8, accuracy: 0.66))
        try s.stop()
        XCTAssertEqual(FakePeer.lines(fake.log), ["start threads 2", "peer warmup p-int8 1 t2", "peer run p-fp32 2 t2",
                                                  "peer quit   t2"])
    }

    /// Benchmark.run with the real session: per thread count one peer process, started before our warm-ups; the
    /// peer's warm-ups after ours; then rounds of ours followed by each peer configuration; quit at the end. The
    /// peer's log and our progress are written to one file, so the interleaving is exactly the executed order.
    func testBenchmarkAlternatesWithOnePeerProcessPerThreadCount() throws {
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        let batches = [BertBatch(sequences: [([101, 20, 102], [0, 0, 0]), ([101, 21, 22, 102], [0, 0, 1, 1]),
                                             ([101, 23, 102], [0, 0, 0])], padTo: 8)]
        let digest = Benchmark.inputDigest(batches)
        setenv("FAKE_SHA", digest, 1)
        let process = FakePeer.process(fake.python)
        let log = fake.log
        func note(_ s: String) {
            let h = FileHandle(forWritingAtPath: log) ?? { FileManager.default.createFile(atPath: log, contents: nil)
                return FileHandle(forWritingAtPath: log)! }()
            h.seekToEndOfFile()
            h.write(Data((s + "\n").utf8))
            h.closeFile()
        }
        let variants = [Benchmark.Variant(name: "a", model: folder.model), Benchmark.Variant(name: "b", model: folder.model)]
        let session = try Benchmark.run(variants, batches: batches, labels: [1, 0, 1], threads: [1, 2], repeats: 2,
                                        warmups: 1, peer: { t in try process.start(threads: t, examples: 3, digest: digest) },
                                        progress: { m in if !m.contains("peer") { note("ours \(m)") } })
        var want: [String] = []
        for t in [1, 2] {
            want += ["start threads \(t)", "ours threads \(t): warm-up 1/1 a", "ours threads \(t): warm-up 1/1 b",
                     "peer warmup p-fp32 1 t\(t)", "peer warmup p-int8 1 t\(t)"]
            for r in 1...2 {
                want += ["ours threads \(t), round \(r)/2: a", "ours threads \(t), round \(r)/2: b",
                         "peer run p-fp32 \(r) t\(t)", "peer run p-int8 \(r) t\(t)"]
            }
            want += ["peer quit   t\(t)"]
        }
        XCTAssertEqual(FakePeer.lines(log), want)
        XCTAssertEqual(session.rows.map { "\($0.displayName) \($0.threads)" }, [
            "quantbench a 1", "quantbench b 1", "pytorch fp32 1", "pytorch quantize_dynamic [onednn] 1",
            "quantbench a 2", "quantbench b 2", "pytorch fp32 2", "pytorch quantize_dynamic [onednn] 2",
        ])
        for row in session.rows {
            XCTAssertEqual(row.seconds.count, 2, row.displayName)
            XCTAssertEqual(row.warmupSeconds.count, 1, row.displayName)
            XCTAssertEqual(row.predictions?.count, 3)
        }
        let peerRow = session.rows[3]
        XCTAssertEqual(peerRow.seconds, [1.5, 1.5])
        XCTAssertEqual(peerRow.warmupSeconds, [1.5])
        XCTAssertEqual(peerRow.firstPassOverMedian, 1)
        XCTAssertEqual(peerRow.config, "p-int8")
        XCTAssertEqual(peerRow.precision, "int8")
        XCTAssertEqual(peerRow.f1, 0.8)
        XCTAssertEqual(session.unavailable.map(\.name), ["o-fused"], "listed once, not once per thread count")
        XCTAssertEqual(session.order, Benchmark.schedule(variants: 2, peerConfigs: ["p-fp32", "p-int8"], threads: 1,
                                                         repeats: 2, warmups: 1)
                       + Benchmark.schedule(variants: 2, peerConfigs: ["p-fp32", "p-int8"], threads: 2, repeats: 2,
                                            warmups: 1))
    }

    func testRefusesOtherInputsAtStartUp() {
        setenv("FAKE_SHA", "beef", 1)
        let m = message { _ = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc") }
        XCTAssertTrue(m.contains("the peer's inputs differ from ours at start-up (input sha256 beef vs abc)"), m)
        let n = message { _ = try FakePeer.process(fake.python).start(threads: 1, examples: 4, digest: "beef") }
        XCTAssertTrue(n.contains("the peer timed 3 examples at start-up, we timed 4"), n)
    }

    func testRefusesAPassOnOtherInputs() throws {
        setenv("FAKE_MODE", "bad-sha", 1)
        let s = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc")
        _ = try s.pass("p-fp32", number: 1, warmUp: false)
        let m = message { _ = try s.pass("p-fp32", number: 2, warmUp: false) }
        XCTAssertTrue(m.contains("the peer's inputs differ from ours in `run p-fp32 2` (input sha256 0000 vs abc)"), m)
    }

    func testPeerDyingMidRunIsOneErrorWithItsStderr() throws {
        setenv("FAKE_MODE", "die", 1)
        let s = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc")
        _ = try s.pass("p-fp32", number: 1, warmUp: false)
        let m = message { _ = try s.pass("p-int8", number: 1, warmUp: false) }
        XCTAssertTrue(m.contains("peer \(fake.python) /dev/null exited with status 3 while `run p-int8 1`"), m)
        XCTAssertTrue(m.contains("RuntimeError: fake crash"), m)
        // Once dead, the next command is an error too (SIGPIPE is ignored, not fatal).
        let again = message { _ = try s.pass("p-int8", number: 2, warmUp: false) }
        XCTAssertTrue(again.contains("exited with status 3"), again)
    }

    func testGarbageAnswerNamesThePeerAndTheCommand() throws {
        setenv("FAKE_MODE", "garbage", 1)
        let s = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc")
        let m = message { _ = try s.pass("p-fp32", number: 1, warmUp: false) }
        XCTAssertTrue(m.contains("did not answer `run p-fp32 1` with a qbench-peers JSON line"), m)
        XCTAssertTrue(m.contains("its line began: hello there"), m)
        XCTAssertEqual(m.split(separator: "\n").count, 1, m)
    }

    func testAnswerOutOfStepIsAnError() throws {
        setenv("FAKE_MODE", "out-of-step", 1)
        let s = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc")
        let m = message { _ = try s.pass("p-fp32", number: 1, warmUp: false) }
        XCTAssertTrue(m.contains("answered `run p-fp32 1` with event pass config p-fp32 pass 8: out of step"), m)
    }

    func testErrorLineBecomesThePeersMessage() throws {
        setenv("FAKE_MODE", "error", 1)
        let s = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc")
        let m = message { _ = try s.pass("p-int8", number: 1, warmUp: false) }
        XCTAssertTrue(m.contains("answered `run p-int8 1` with an error: CUDA out of fake memory"), m)
    }

    /// A peer that stops answering: killed after the timeout with its grandchild, one error naming the wait.
    func testHangingPeerTimesOutAndItsGroupIsKilled() throws {
        setenv("FAKE_MODE", "hang", 1)
        let s = try FakePeer.process(fake.python, timeout: 1).start(threads: 1, examples: 3, digest: "abc")
        let start = Date()
        let m = message { _ = try s.pass("p-fp32", number: 1, warmUp: false) }
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "the timeout did not end the wait")
        XCTAssertTrue(m.contains("did not answer within 1 s (`run p-fp32 1`; raise it with --peer-timeout"), m)
        let pids = FakePeer.lines(fake.log + ".pids").first.map { $0.split(separator: " ").compactMap { Int32($0) } } ?? []
        XCTAssertEqual(pids.count, 2)
        for pid in pids {
            let gone = (0..<100).contains { _ in
                if kill(pid, 0) == -1 && errno == ESRCH { return true }
                usleep(50_000)
                return false
            }
            if !gone { kill(pid, SIGKILL) }
            XCTAssertTrue(gone, "peer process \(pid) survived the timeout")
        }
    }

    func testFloodingPeerStopsAtTheOutputBound() throws {
        setenv("FAKE_MODE", "flood", 1)
        let s = try FakePeer.process(fake.python, maxOutputBytes: 1 << 16).start(threads: 1, examples: 3, digest: "abc")
        let m = message { _ = try s.pass("p-fp32", number: 1, warmUp: false) }
        XCTAssertTrue(m.contains("printed more than 65536 bytes on stdout (a peer prints one JSON line per command); "
                                 + "killed its process group"), m)
    }

    /// `bye` then a non-zero exit: an error, not a clean stop.
    func testBadExitAfterQuitIsAnError() throws {
        setenv("FAKE_MODE", "bad-exit", 1)
        let s = try FakePeer.process(fake.python).start(threads: 1, examples: 3, digest: "abc")
        let m = message { try s.stop() }
        XCTAssertTrue(m.contains("exited with status 4"), m)
    }

    func testWrongProtocolOrThreadsAtStartUp() throws {
        let old = fake.dir.appendingPathComponent("old-peer")
        try "#!/bin/sh\necho '{\"schema_version\": 1, \"tool\": \"qbench-peers\", \"event\": \"ready\", \"protocol\": 1}'\n"
            .write(to: old, atomically: true, encoding: .utf8)
        chmod(old.path, 0o755)
        let m = message { _ = try FakePeer.process(old.path).start(threads: 1, examples: 3, digest: "abc") }
        XCTAssertTrue(m.contains("expected tool qbench-peers protocol 2, got qbench-peers protocol 1"), m)
    }
}
