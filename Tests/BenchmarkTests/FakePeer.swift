import _TestSupport
import Benchmark
import Foundation

/// A fake peer for the line protocol: a shell script (no Python needed) that logs each command it reads to
/// `$FAKE_LOG`, answers `ready` with two configurations (`p-fp32`, `p-int8`), then each `warmup`/`run` with
/// seconds `$FAKE_SECONDS` (default 1.5), the digest `$FAKE_SHA` and three predictions, and `quit` with `bye`.
/// `$FAKE_MODE` makes it misbehave: `die` (exit 3 with a traceback on stderr at the second `run`), `garbage`
/// (answers the first `run` with text), `bad-sha` (another digest from the second `run` on), `hang` (stops
/// answering at the first `run`, with a grandchild), `out-of-step` (echoes a wrong pass number), `error` (an
/// `error` line), `flood` (endless output without a newline at the first `run`), `bad-exit` (exit 4 after `bye`).
enum FakePeer {
    static let script = #"""
        #!/bin/sh
        t=1
        for a in "$@"; do
          [ "$prev" = "--threads" ] && t=$a
          prev=$a
        done
        echo "start threads $t" >> "$FAKE_LOG"
        sha=${FAKE_SHA:-abc}
        secs=${FAKE_SECONDS:-1.5}
        echo "{\"tool\": \"qbench-peers\", \"protocol\": 2, \"event\": \"ready\", \"threads\": $t, \"examples\": 3, \"input_sha256\": \"$sha\", \"versions\": {\"torch\": \"fake\"}, \"torch\": {\"supported_quantized_engines\": [\"x86\", \"onednn\"]}, \"configs\": [{\"name\": \"p-fp32\", \"engine\": \"pytorch\", \"scheme\": \"fp32\", \"precision\": \"fp32\", \"model_mb\": 1.0}, {\"name\": \"p-int8\", \"engine\": \"pytorch\", \"scheme\": \"quantize_dynamic\", \"variant\": \"onednn\", \"precision\": \"int8\"}], \"unavailable\": [{\"name\": \"o-fused\", \"engine\": \"onnxruntime\", \"scheme\": \"fp32\", \"variant\": \"fused\", \"reason\": \"not available: fake\"}]}"
        runs=0
        while read cmd cfg num; do
          echo "peer $cmd $cfg $num t$t" >> "$FAKE_LOG"
          case "$cmd" in
            quit) echo '{"event": "bye"}'; [ "$FAKE_MODE" = bad-exit ] && exit 4; exit 0;;
            warmup) ev=warmup;;
            run) ev=pass; runs=$((runs + 1));;
            *) echo '{"event": "error", "message": "unknown command"}'; continue;;
          esac
          if [ "$cmd" = run ]; then
            case "$FAKE_MODE" in
              die) if [ $runs -ge 2 ]; then echo 'Traceback (most recent call last):' >&2; echo 'RuntimeError: fake crash' >&2; exit 3; fi;;
              garbage) echo 'hello there'; continue;;
              bad-sha) [ $runs -ge 2 ] && sha=0000;;
              hang) sleep 300 & echo $$ $! > "$FAKE_LOG.pids"; wait; exit 0;;
              out-of-step) num=$((num + 7));;
              error) echo '{"event": "error", "message": "CUDA out of fake memory"}'; continue;;
              flood) yes '{' | tr -d '\n'; exit 0;;
            esac
          fi
          echo "{\"event\": \"$ev\", \"config\": \"$cfg\", \"pass\": $num, \"seconds\": $secs, \"cpu_seconds\": 1.0, \"input_sha256\": \"$sha\", \"predictions\": [1, 0, 1], \"f1\": 0.8, \"accuracy\": 0.66}"
        done
        exit 0
        """#

    /// Writes the script into a fresh folder; returns (script path, log path, folder).
    static func make() throws -> (python: String, log: String, dir: URL) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-fakepeer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("fake-python")
        try script.write(to: url, atomically: true, encoding: .utf8)
        chmod(url.path, 0o755)
        return (url.path, dir.appendingPathComponent("log").path, dir)
    }

    /// A `PeerProcess` running the fake (the script argument is a placeholder the fake ignores).
    static func process(_ python: String, timeout: Double? = nil, maxOutputBytes: Int = PeerProcess.defaultMaxOutputBytes)
        -> PeerProcess {
        PeerProcess(python: python, script: "/dev/null", arguments: ["--model", "m"], timeout: timeout, killGrace: 1,
                    maxOutputBytes: maxOutputBytes)
    }

    static func lines(_ path: String) -> [String] {
        ((try? String(contentsOfFile: path, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
    }
}
