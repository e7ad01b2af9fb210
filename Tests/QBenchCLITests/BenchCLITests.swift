import _TestSupport
import Benchmark
import Datasets
import Experiments
import Foundation
import RunRecords
import XCTest

/// End-to-end tests of `qbench bench` on the real binary, with fake peers (shell scripts speaking the line
/// protocol) so they run without torch. No assertion looks at a timing value, only at order, arithmetic and errors.
final class BenchCLITests: XCTestCase {
    let tiny = Fixtures.tinyBert.path
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    /// A fake interpreter speaking the line protocol: logs its arguments and each command to $FAKE_PEER_LOG;
    /// `--check` prints a check line; a start prints a ready line for the requested threads (16 examples, digest
    /// $FAKE_PEER_SHA, two configurations), answers each pass with 2 s (`p-fp32`) or 1 s (`p-int8`) and `quit`
    /// with `bye`.
    static let fakePeer = #"""
        #!/bin/sh
        echo "$*" >> "$FAKE_PEER_LOG"
        t=1
        while [ $# -gt 0 ]; do
          case "$1" in
            --check) echo '{"tool": "qbench-peers", "protocol": 2, "event": "check", "versions": {"torch": "fake"}}'; exit 0;;
            --threads) t=$2; shift;;
          esac
          shift
        done
        sha=${FAKE_PEER_SHA:-none}
        echo "{\"tool\": \"qbench-peers\", \"protocol\": 2, \"event\": \"ready\", \"threads\": $t, \"examples\": 16, \"input_sha256\": \"$sha\", \"versions\": {\"torch\": \"9.9-fake\", \"transformers\": \"0-fake\", \"onnxruntime\": \"0-fake\"}, \"torch\": {\"quantized_engine\": \"x86\", \"supported_quantized_engines\": [\"x86\", \"onednn\"], \"cpu_capability\": \"AVX2\", \"attn_implementation\": \"sdpa\"}, \"onnxruntime\": {\"execution_providers\": [\"CPUExecutionProvider\"], \"opset\": 17}, \"configs\": [{\"name\": \"p-fp32\", \"engine\": \"pytorch\", \"scheme\": \"fp32\", \"precision\": \"fp32\", \"model_mb\": 1.0}, {\"name\": \"p-int8\", \"engine\": \"pytorch\", \"scheme\": \"quantize_dynamic\", \"variant\": \"onednn\", \"precision\": \"int8\", \"model_mb\": 0.5}], \"unavailable\": [{\"name\": \"ort-fp32-fused\", \"engine\": \"onnxruntime\", \"scheme\": \"fp32\", \"variant\": \"fused\", \"reason\": \"not available: fake reason\"}]}"
        p='[1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1]'
        while read cmd cfg num; do
          echo "$cmd $cfg $num" >> "$FAKE_PEER_LOG"
          case "$cmd" in
            quit) echo '{"event": "bye"}'; exit 0;;
            warmup) ev=warmup;;
            *) ev=pass;;
          esac
          s=1.0
          [ "$cfg" = p-fp32 ] && s=2.0
          echo "{\"event\": \"$ev\", \"config\": \"$cfg\", \"pass\": $num, \"seconds\": $s, \"cpu_seconds\": $s, \"input_sha256\": \"$sha\", \"predictions\": $p, \"f1\": 0.5, \"accuracy\": 0.5}"
        done
        """#

    func script(_ text: String, in dir: URL, name: String = "fake-python") throws -> String {
        let url = dir.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o755)
        return url.path
    }

    func benchArgs(peer: String, json: String) -> [String] {
        ["bench", "--model", tiny, "--data", dev, "--limit", "16", "--threads", "1,2", "--repeats", "2",
         "--scheme", "fp32", "--scheme", "pytorch-dynamic", "--peers", peer, "--json", json]
    }

    /// Our input digest of the first `limit` dev pairs on the tiny model, as `qbench bench` computes it.
    func ourDigest(limit: Int = 16, options: BatchingOptions = .init(batchSize: 8, maxSeqLength: 128, padToMax: true))
        throws -> String {
        let folder = try ModelFolder(path: tiny)
        let all = try PairDataset.load(path: dev)
        return Benchmark.inputDigest(folder.batches(PairDataset(path: all.path, examples: Array(all.examples.prefix(limit))),
                                                    options: options))
    }

    func testPeersAlternateWithOursAndRatiosUseMedians() throws {
        let tmp = try CLI.tempDir()
        let peer = try script(Self.fakePeer, in: tmp)
        let log = tmp.appendingPathComponent("peer.log").path
        let out = tmp.appendingPathComponent("bench.json").path
        let r = try CLI.run(benchArgs(peer: peer, json: out), env: ["FAKE_PEER_LOG": log, "FAKE_PEER_SHA": try ourDigest()])
        XCTAssertEqual(r.status, 0, r.stderr)

        // The check, then one long-lived peer per thread count: warm-ups, two rounds of both configurations, quit.
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map(String.init)
        XCTAssertEqual(calls.count, 1 + 2 * 8, calls.joined(separator: "\n"))
        XCTAssertTrue(calls[0].hasSuffix("qbench_peers.py --check"), calls[0])
        for (i, t) in [(1, 1), (9, 2)] {
            XCTAssertTrue(calls[i].hasSuffix("--threads \(t)"), calls[i])
            for a in ["--batch-size 8", "--max-seq-length 128", "--pad-to-max", "--limit 16", "--model /", "--engines pytorch,onnxruntime"] {
                XCTAssertTrue(calls[i].contains(a), "\(a) missing in \(calls[i])")
            }
            XCTAssertEqual(Array(calls[(i + 1)...(i + 7)]), ["warmup p-fp32 1", "warmup p-int8 1", "run p-fp32 1",
                                                            "run p-int8 1", "run p-fp32 2", "run p-int8 2", "quit  "])
        }

        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as! [String: Any]
        let order = (obj["order"] as! [[String: Any]]).map { s -> String in
            "\(s["kind"]!) \(s["scheme"] ?? s["config"] ?? "-") t\(s["threads"]!)"
        }
        var want: [String] = []
        for t in [1, 2] {
            want += ["peer-start - t\(t)", "warm-up fp32 t\(t)", "warm-up pytorch-dynamic t\(t)",
                     "peer-warm-up p-fp32 t\(t)", "peer-warm-up p-int8 t\(t)"]
            for _ in 0..<2 {
                want += ["pass fp32 t\(t)", "pass pytorch-dynamic t\(t)", "peer-pass p-fp32 t\(t)", "peer-pass p-int8 t\(t)"]
            }
            want.append("peer-stop - t\(t)")
        }
        XCTAssertEqual(order, want)

        let rows = obj["rows"] as! [[String: Any]]
        XCTAssertEqual(rows.map { "\($0["engine"]!) \($0["scheme"]!) \($0["threads"]!)" }, [
            "quantbench fp32 1", "quantbench pytorch-dynamic 1", "pytorch fp32 1", "pytorch quantize_dynamic 1",
            "quantbench fp32 2", "quantbench pytorch-dynamic 2", "pytorch fp32 2", "pytorch quantize_dynamic 2",
        ])
        let fastest = obj["fastest_peers"] as! [[String: Any]]
        XCTAssertEqual(fastest.map { "\($0["threads"]!) \($0["precision"]!) \($0["peer"]!)" }, [
            "1 int8 pytorch quantize_dynamic [onednn]", "1 fp32 pytorch fp32",
            "2 int8 pytorch quantize_dynamic [onednn]", "2 fp32 pytorch fp32",
        ])
        for t in [1, 2] {
            func row(_ e: String, _ s: String) -> [String: Any] {
                rows.first { $0["engine"] as? String == e && $0["scheme"] as? String == s && $0["threads"] as? Int == t }!
            }
            let ourFP32 = row("quantbench", "fp32"), ourPD = row("quantbench", "pytorch-dynamic")
            let torchQD = row("pytorch", "quantize_dynamic"), torchFP32 = row("pytorch", "fp32")
            XCTAssertEqual(torchQD["seconds"] as? [Double], [1.0, 1.0], "one pass per round")
            XCTAssertEqual(torchQD["warmup_seconds"] as? [Double], [1.0])
            XCTAssertEqual(torchQD["first_pass_over_median"] as? Double, 1.0)
            XCTAssertEqual(torchQD["variant"] as? String, "onednn")
            XCTAssertEqual((ourPD["seconds"] as! [Double]).count, 2)
            XCTAssertEqual((ourPD["warmup_seconds"] as! [Double]).count, 1)
            let median = { (s: [Double]) in (s[0] + s[1]) / 2 }
            XCTAssertEqual(ourFP32["median_seconds"] as! Double, median(ourFP32["seconds"] as! [Double]), accuracy: 1e-12)
            XCTAssertEqual(torchQD["our_counterpart"] as? String, "pytorch-dynamic")
            XCTAssertEqual(torchQD["ours_faster_by"] as! Double, 1.0 / (ourPD["median_seconds"] as! Double), accuracy: 1e-9)
            XCTAssertEqual(torchFP32["ours_faster_by"] as! Double, 2.0 / (ourFP32["median_seconds"] as! Double),
                           accuracy: 1e-9)
            XCTAssertEqual(torchQD["speedup_vs_our_baseline"] as! Double, (ourFP32["median_seconds"] as! Double) / 1.0,
                           accuracy: 1e-9)
            XCTAssertEqual(ourPD["speedup_vs_our_baseline"] as! Double,
                           (ourFP32["median_seconds"] as! Double) / (ourPD["median_seconds"] as! Double), accuracy: 1e-9)
            XCTAssertEqual((ourFP32["predictions"] as? [Int])?.count, 16)
            XCTAssertNotNil(torchQD["flips_vs_our_baseline"] as? Int)
            let f = fastest.first { $0["threads"] as? Int == t && $0["precision"] as? String == "int8" }!
            XCTAssertEqual(f["ours_vs_fastest_peer"] as! Double, 1.0 / (ourPD["median_seconds"] as! Double), accuracy: 1e-9)
        }
        let peerInfo = obj["peer"] as! [String: Any]
        XCTAssertEqual((peerInfo["versions"] as? [String: String])?["torch"], "9.9-fake")
        XCTAssertEqual((peerInfo["torch"] as? [String: Any])?["quantized_engine"] as? String, "x86")
        XCTAssertEqual((peerInfo["unavailable"] as? [[String: Any]])?.first?["reason"] as? String, "not available: fake reason")
        XCTAssertEqual(obj["examples"] as? Int, 16)
        XCTAssertEqual(obj["warmups"] as? Int, 1)
        XCTAssertEqual((obj["input_sha256"] as? String)?.count, 64)

        XCTAssertTrue(r.stdout.contains("| pytorch | quantize_dynamic [onednn] | 2 | 1.000 | 62.50 | 1.00 |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| 2 | int8 | pytorch quantize_dynamic [onednn] | 62.50 | pytorch-dynamic |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("onnxruntime fp32 [fused]: not available: fake reason"), r.stdout)
        XCTAssertTrue(r.stdout.contains("first timed pass / median: "), r.stdout)
        XCTAssertTrue(r.stdout.contains("torch 9.9-fake (quantized engines x86, onednn, CPU capability AVX2"), r.stdout)
    }

    func testPeerWithOtherInputsIsAnErrorAndWritesNothing() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let r = try CLI.run(benchArgs(peer: try script(Self.fakePeer, in: tmp), json: out),
                            env: ["FAKE_PEER_LOG": tmp.appendingPathComponent("log").path, "FAKE_PEER_SHA": "deadbeef"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("the peer's inputs differ from ours at start-up (input sha256 deadbeef vs "
                                        + (try ourDigest())), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testFailingPeerIsOneClearError() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let peer = try script("#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
                              + "echo \"ModuleNotFoundError: No module named 'onnxruntime'\" >&2\nexit 3\n", in: tmp)
        let r = try CLI.run(benchArgs(peer: peer, json: out))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("exited with status 3"), r.stderr)
        XCTAssertTrue(r.stderr.contains("No module named 'onnxruntime'"), r.stderr)
        XCTAssertFalse(r.stderr.contains("Fatal error"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(r.stdout, "", "nothing measured, nothing printed")
    }

    func testPeerPrintingGarbage() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let r = try CLI.run(benchArgs(peer: try script("#!/bin/sh\necho hello\n", in: tmp), json: out))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("did not answer the check line of --check with a qbench-peers JSON line"), r.stderr)
        XCTAssertTrue(r.stderr.contains("began: hello"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testMissingInterpreter() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let r = try CLI.run(benchArgs(peer: "/nonexistent/bin/python3", json: out))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("/nonexistent/bin/python3"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// The real peer script under an interpreter where `import torch` fails: exit 2 and the pip hint, surfaced by
    /// qbench as one error.
    func testRealPeerScriptWithoutTorch() throws {
        guard let python = ["/usr/bin/python3", "/usr/local/bin/python3"]
            .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw XCTSkip("no python3")
        }
        let tmp = try CLI.tempDir()
        let blocker = tmp.appendingPathComponent("blocker/torch")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        try "raise ModuleNotFoundError(\"No module named 'torch'\", name='torch')\n"
            .write(to: blocker.appendingPathComponent("__init__.py"), atomically: true, encoding: .utf8)
        let wrapper = try script("#!/bin/sh\nPYTHONPATH='\(tmp.path)/blocker' exec \(python) \"$@\"\n", in: tmp)
        let out = tmp.appendingPathComponent("bench.json").path
        let r = try CLI.run(benchArgs(peer: wrapper, json: out))
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("exited with status 2"), r.stderr)
        XCTAssertTrue(r.stderr.contains("missing Python package: torch"), r.stderr)
        XCTAssertTrue(r.stderr.contains("pip install torch transformers onnxruntime onnx"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    func testWithoutPeersTimesOurSchemesOnly() throws {
        let r = try CLI.run(["bench", "--model", tiny, "--data", dev, "--limit", "8", "--threads", "1",
                             "--repeats", "1", "--scheme", "fp32", "--scheme", "fp16"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("8 examples, batch 8, padded to 128, 1 warm-up + 1 timed passes"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| quantbench | fp32 | 1 |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| quantbench | fp16 | 1 |"), r.stdout)
        XCTAssertTrue(r.stdout.contains("load average"), r.stdout)
        XCTAssertFalse(r.stdout.contains("| pytorch |"), r.stdout)
    }

    func testBadWarmupCount() throws {
        let r = try CLI.run(["bench", "--model", tiny, "--data", dev, "--warmup=-1"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--warmup must be 0 or more"), r.stderr)
    }

    func testBadThreadList() throws {
        for bad in ["1,x", "0", "", "1,,2"] {
            let r = try CLI.run(["bench", "--model", tiny, "--data", dev, "--threads", bad])
            XCTAssertNotEqual(r.status, 0, bad)
            XCTAssertTrue(r.stderr.contains("--threads must be a comma-separated list of positive integers"), r.stderr)
        }
    }

    /// The peer runs in its own process group, so qbench passes SIGTERM/SIGINT on instead of orphaning it.
    func testTerminatingQBenchStopsThePeer() throws {
        let tmp = try CLI.tempDir()
        let pidFile = tmp.appendingPathComponent("peer.pid").path
        let peer = try script("#!/bin/sh\necho $$ > '\(pidFile)'\nexec sleep 120\n", in: tmp)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["bench", "--model", tiny, "--data", dev, "--limit", "8", "--peers", peer]
        p.currentDirectoryURL = Fixtures.projectRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        var pid: Int32?
        for _ in 0..<600 where pid == nil {  // the --check call starts the fake at once
            pid = (try? String(contentsOfFile: pidFile, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pid == nil { usleep(50_000) }
        }
        guard let pid else {
            p.terminate()
            return XCTFail("the fake peer never started")
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        var gone = false
        for _ in 0..<200 where !gone {  // reaped by init once it has died
            gone = !Self.isRunning(pid)
            if !gone { usleep(50_000) }
        }
        if !gone { kill(pid, SIGKILL) }
        XCTAssertTrue(gone, "peer \(pid) still running after qbench was terminated")
    }

    /// Runs qbench like `CLI.run`, but kills it (and reports `timedOut`) when it has not finished within `seconds`,
    /// so a test of a hanging peer fails instead of hanging.
    func runWithin(_ seconds: Double, _ args: [String], env: [String: String] = [:]) throws
        -> (status: Int32, stderr: String, timedOut: Bool) {
        let tmp = try CLI.tempDir()
        let errURL = tmp.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = args
        p.currentDirectoryURL = Fixtures.projectRoot
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = try FileHandle(forWritingTo: errURL)
        try p.run()
        let end = Date().addingTimeInterval(seconds)
        while p.isRunning && Date() < end { usleep(50_000) }
        let timedOut = p.isRunning
        if timedOut { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        return (p.terminationStatus, stderr, timedOut)
    }

    /// A peer that never answers: qbench kills it after the timeout (QBENCH_PEER_TIMEOUT, the override the CLI's
    /// --peer-timeout maps to), with one error line naming the peer and the timeout, exit 1, no JSON.
    func testPeerThatNeverAnswersTimesOut() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let pidFile = tmp.appendingPathComponent("pids").path
        let peer = try script("#!/bin/sh\nsleep 300 &\necho $$ $! > '\(pidFile)'\nwait\n", in: tmp)
        let r = try runWithin(60, benchArgs(peer: peer, json: out), env: ["QBENCH_PEER_TIMEOUT": "1"])
        let pids = ((try? String(contentsOfFile: pidFile, encoding: .utf8)) ?? "").split(separator: " ")
            .compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        defer { for pid in pids { kill(pid, SIGKILL) } }
        XCTAssertFalse(r.timedOut, "qbench still waiting on a silent peer after 60 s")
        XCTAssertEqual(r.status, 1, r.stderr)
        let lines = r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error") || $0.hasPrefix("error") }
        XCTAssertEqual(lines.count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("\(peer) "), r.stderr)
        XCTAssertTrue(r.stderr.contains("did not answer within 1 s (the check line of --check; raise it with --peer-timeout"),
                      r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(pids.count, 2)
        for pid in pids { XCTAssertTrue(waitGone(pid), "peer process \(pid) survived the timeout") }
    }

    func testBadPeerTimeout() throws {
        for bad in ["0", "-1", "x", "nan", "inf"] {
            let r = try runWithin(60, benchArgs(peer: "python3", json: "/tmp/unused.json"), env: ["QBENCH_PEER_TIMEOUT": bad])
            XCTAssertFalse(r.timedOut)
            XCTAssertEqual(r.status, 1, bad)
            XCTAssertTrue(r.stderr.contains("peer timeout must be a positive number of seconds"), r.stderr)
        }
        // The same through the option.
        let r = try runWithin(60, benchArgs(peer: "python3", json: "/tmp/unused.json") + ["--peer-timeout", "0"], env: [:])
        XCTAssertFalse(r.timedOut)
        XCTAssertEqual(r.status, 1)
        XCTAssertTrue(r.stderr.contains("peer timeout must be a positive number of seconds"), r.stderr)
    }

    /// SIGTERM to qbench reaches the peer's whole process group: the peer and its grandchild are both gone.
    func testTerminatingQBenchStopsThePeerAndItsGrandchild() throws {
        let tmp = try CLI.tempDir()
        let pidFile = tmp.appendingPathComponent("pids").path
        let peer = try script("#!/bin/sh\nsleep 120 &\necho $$ $! > '\(pidFile).tmp'\nmv '\(pidFile).tmp' '\(pidFile)'\nwait\n",
                              in: tmp)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["bench", "--model", tiny, "--data", dev, "--limit", "8", "--peers", peer]
        p.currentDirectoryURL = Fixtures.projectRoot
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        guard let pids = Self.waitForPeerPids(pidFile, polls: 600) else {
            kill(p.processIdentifier, SIGKILL)
            return XCTFail("the fake peer never started")
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(p.terminationStatus, SIGTERM)
        for pid in pids {
            let gone = waitGone(pid)
            if !gone { kill(pid, SIGKILL) }
            XCTAssertTrue(gone, "peer process \(pid) still running after qbench was terminated")
        }
    }

    /// SIGTERM while a long-lived peer is up and qbench alternates with it (so qbench may be inside its own pass
    /// rather than waiting on the peer): the peer's group is stopped and qbench dies of the signal.
    func testTerminatingQBenchDuringASessionStopsTheLivePeer() throws {
        let tmp = try CLI.tempDir()
        let pidFile = tmp.appendingPathComponent("pids").path
        let log = tmp.appendingPathComponent("peer.log").path
        // The protocol fake, plus a grandchild and a pid file written once it is started (not for --check).
        let peer = try script(Self.fakePeer.replacingOccurrences(
            of: "sha=${FAKE_PEER_SHA:-none}",
            with: "sleep 120 &\necho $$ $! > '\(pidFile).tmp'; mv '\(pidFile).tmp' '\(pidFile)'\nsha=${FAKE_PEER_SHA:-none}"), in: tmp)
        let p = Process()
        p.executableURL = CLI.binary
        p.arguments = ["bench", "--model", tiny, "--data", dev, "--limit", "16", "--threads", "1", "--repeats", "100000",
                       "--scheme", "fp32", "--peers", peer]
        p.currentDirectoryURL = Fixtures.projectRoot
        var environment = ProcessInfo.processInfo.environment
        environment["FAKE_PEER_LOG"] = log
        environment["FAKE_PEER_SHA"] = try ourDigest()
        p.environment = environment
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        guard let pids = Self.waitForPeerPids(pidFile, polls: 1200) else {
            kill(p.processIdentifier, SIGKILL)
            return XCTFail("the fake peer never started")
        }
        // Wait until the rounds run (a few timed passes answered), then stop qbench.
        for _ in 0..<600 {
            if ((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").components(separatedBy: "run p-int8").count > 3 { break }
            usleep(50_000)
        }
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationReason, .uncaughtSignal)
        XCTAssertEqual(p.terminationStatus, SIGTERM)
        for pid in pids {
            let gone = waitGone(pid)
            if !gone { kill(pid, SIGKILL) }
            XCTAssertTrue(gone, "peer process \(pid) still running after qbench was terminated")
        }
    }

    /// Waits up to 5 s for `pid` to be gone (no such process, or a zombie waiting for init).
    func waitGone(_ pid: Int32) -> Bool {
        for _ in 0..<100 {
            if kill(pid, 0) == -1 && errno == ESRCH { return true }
            if !Self.isRunning(pid) { return true }
            usleep(50_000)
        }
        return false
    }

    /// A peer flooding stdout is stopped at the bound (16 MB), not read into memory without end.
    func testPeerFloodingStdoutIsAnError() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let peer = try script("#!/bin/sh\nyes '{' | tr -d '\\n'\n", in: tmp)
        let r = try runWithin(120, benchArgs(peer: peer, json: out))
        XCTAssertFalse(r.timedOut, "qbench still reading a flooding peer after 120 s")
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("printed more than 16 MB on stdout"), r.stderr)
        XCTAssertTrue(r.stderr.contains(peer), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// Multi-line or binary garbage: still one error line (the output's head is escaped), naming the peer.
    func testPeerPrintingMultilineGarbageIsOneLine() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let peer = try script("#!/bin/sh\nprintf 'line one\\tstill one\\033[31m\\nline two\\n'\n", in: tmp)
        let r = try runWithin(60, benchArgs(peer: peer, json: out))
        XCTAssertEqual(r.status, 1, r.stderr)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
        XCTAssertTrue(r.stderr.contains("did not answer the check line of --check with a qbench-peers JSON line"), r.stderr)
        XCTAssertTrue(r.stderr.contains("began: line one\\tstill one\\u{1B}[31m"), r.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
    }

    /// JSON with a wrong-typed or missing field: one error line naming the peer and the key.
    func testPeerWithWrongTypedOrMissingFieldsNamesTheKey() throws {
        let tmp = try CLI.tempDir()
        let out = tmp.appendingPathComponent("bench.json").path
        let head = #"{"tool": "qbench-peers", "protocol": 2, "event": "check", "#
        let ready = #"{"tool": "qbench-peers", "protocol": 2, "event": "ready", "threads": 1, "examples": 16, "input_sha256": "x", "versions": {}, "unavailable": [], "#
        let cases: [(String, String, String)] = [
            ("check", #""versions": {"torch": 2}}"#, "key versions.torch: expected String"),
            ("check", #""missing": {}}"#, "key versions: required key is missing"),
            ("ready", #""configs": [{"name": "a"}]}"#, "key configs[0].engine: required key is missing"),
            ("ready", #""configs": [{"name": "a b", "engine": "e", "scheme": "s", "precision": "int8"}]}"#,
             "key configs[0].name: expected a unique name without spaces"),
            ("ready", #""configs": [{"name": "a", "engine": "e", "scheme": "s", "precision": "int4"}]}"#,
             "key configs[0].precision: expected fp32 or int8"),
        ]
        for (kind, tail, want) in cases {
            let doc = tmp.appendingPathComponent("doc.json")
            let check = tmp.appendingPathComponent("check.json")
            try (head + #""versions": {}}"#).write(to: check, atomically: true, encoding: .utf8)
            try ((kind == "check" ? head : ready) + tail).write(to: doc, atomically: true, encoding: .utf8)
            let body = kind == "check" ? "cat '\(doc.path)'\n"
                : "case \"$*\" in *--check*) cat '\(check.path)';; *) cat '\(doc.path)'; echo;; esac\n"
            let peer = try script("#!/bin/sh\n" + body, in: tmp)
            let r = try runWithin(60, benchArgs(peer: peer, json: out))
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("peer \(peer)"), r.stderr)
            XCTAssertTrue(r.stderr.contains(want), "\(want) not in \(r.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        }
    }

    /// Alive and not a zombie (a dead child of a dead parent may wait to be reaped).
    static func isRunning(_ pid: Int32) -> Bool {
        guard kill(pid, 0) == 0 else { return false }
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return true }
        let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).prefix(1)
        return state != "Z" && state != "X"
    }

    func testUnknownPeerEngine() throws {
        let r = try CLI.run(["bench", "--model", tiny, "--data", dev, "--peers", "python3", "--peer-engines", "tensorflow"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("--peer-engines must be a comma-separated list of pytorch, onnxruntime"), r.stderr)
    }

    func testNoPadToMaxIsPassedToThePeer() throws {
        let tmp = try CLI.tempDir()
        let log = tmp.appendingPathComponent("peer.log").path
        let r = try CLI.run(["bench", "--model", tiny, "--data", dev, "--limit", "16", "--threads", "1", "--repeats", "1",
                             "--no-pad-to-max", "--batch-size", "4", "--max-seq-length", "64",
                             "--peers", try script(Self.fakePeer, in: tmp)],
                            env: ["FAKE_PEER_LOG": log,
                                  "FAKE_PEER_SHA": try ourDigest(options: .init(batchSize: 4, maxSeqLength: 64, padToMax: false))])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("batch 4, padded to longest"), r.stdout)
        let calls = try String(contentsOfFile: log, encoding: .utf8)
        XCTAssertTrue(calls.contains("--batch-size 4 --max-seq-length 64 --no-pad-to-max"), calls)
    }
}

extension BenchCLITests {
    /// The fake peer's pid and its grandchild's, once it has written them to `file` (polled every 50 ms), or nil.
    static func waitForPeerPids(_ file: String, polls: Int) -> [Int32]? {
        for _ in 0..<polls {
            let pids = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: " ")
                .compactMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if pids.count == 2 { return pids }
            usleep(50_000)
        }
        return nil
    }
}
