import Experiments
import Foundation
import _Support

/// The JSON document `experiments/peers/qbench_peers.py` prints (schema_version 1): PyTorch and ONNX Runtime
/// timings of the same model on the same batches, with the versions and back ends that produced them.
public struct PeerDocument: Decodable, Sendable {
    public var schemaVersion: Int
    public var tool: String
    /// True for the document of `--check` (versions only).
    public var check: Bool?
    public var examples: Int?
    public var inputSHA256: String?
    /// Package versions: python, torch, transformers, onnxruntime, onnx, numpy.
    public var versions: [String: String]
    public var torch: TorchInfo?
    public var onnxruntime: ONNXRuntimeInfo?
    public var results: [Result]?

    public struct TorchInfo: Codable, Sendable {
        /// `torch.backends.quantized.engine` (x86, fbgemm, onednn, qnnpack).
        public var quantizedEngine: String?
        /// `torch.backends.cpu.get_cpu_capability()` (AVX2, AVX512, …).
        public var cpuCapability: String?
        public var attnImplementation: String?
        enum CodingKeys: String, CodingKey {
            case quantizedEngine = "quantized_engine", cpuCapability = "cpu_capability"
            case attnImplementation = "attn_implementation"
        }
    }

    public struct ONNXRuntimeInfo: Codable, Sendable {
        public var executionProviders: [String]?
        public var opset: Int?
        enum CodingKeys: String, CodingKey { case executionProviders = "execution_providers", opset }
    }

    /// One engine and scheme at one thread count.
    public struct Result: Decodable, Sendable {
        public var engine: String
        public var scheme: String
        public var threads: Int
        public var examples: Int
        public var seconds: [Double]
        public var cpuSeconds: [Double]?
        public var f1: Double?
        public var accuracy: Double?
        public var modelMB: Double?
        public var predictions: [Int]?
        enum CodingKeys: String, CodingKey {
            case engine, scheme, threads, examples, seconds, f1, accuracy, predictions
            case cpuSeconds = "cpu_seconds", modelMB = "model_mb"
        }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", tool, check, examples, versions, torch, onnxruntime, results
        case inputSHA256 = "input_sha256"
    }

    /// Parses and checks a document; `source` names the program in errors.
    public static func parse(_ data: Data, source: String) throws -> PeerDocument {
        let doc: PeerDocument
        do {
            doc = try JSONDecoder().decode(PeerDocument.self, from: data)
        } catch {
            let head = oneLine(String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
            throw ExperimentError.invalid("\(source) did not print a peer JSON document (\(DecodingErrorText.describe(error))); "
                                          + "its output began: \(head.isEmpty ? "(nothing)" : head)")
        }
        guard doc.tool == "qbench-peers", doc.schemaVersion == 1 else {
            throw ExperimentError.invalid("\(source): expected tool qbench-peers schema_version 1, got \(doc.tool) "
                                          + "schema_version \(doc.schemaVersion)")
        }
        return doc
    }

    /// `text` on one line: newlines and other control characters escaped (`\n`, `\u{1B}`), so the error naming a
    /// peer's output stays one line and writes no terminal escapes.
    static func oneLine(_ text: String) -> String {
        var out = ""
        for u in text.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.properties.generalCategory == .control || u.properties.generalCategory == .format {
                    out += "\\u{\(String(u.value, radix: 16, uppercase: true))}"
                } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }

    /// The results as benchmark rows (one per engine, scheme and thread count).
    public var rows: [Benchmark.Row] {
        (results ?? []).map {
            Benchmark.Row(engine: $0.engine, scheme: $0.scheme, threads: $0.threads, seconds: $0.seconds,
                          cpuSeconds: $0.cpuSeconds ?? [], examples: $0.examples, modelMB: $0.modelMB,
                          predictions: $0.predictions, f1: $0.f1, accuracy: $0.accuracy)
        }
    }
}

/// The running peer's process group for the signal handler (0: none), and the write end of the pipe that wakes
/// the waiting loop (-1: none). Set only while `PeerProcess.invoke` waits.
nonisolated(unsafe) private var runningPeerGroup: pid_t = 0
nonisolated(unsafe) private var peerSignalPipe: Int32 = -1

/// SIGINT/SIGTERM while a peer runs: pass it on to the peer's process group at once, and wake the waiting loop,
/// which waits for the group, kills what is left, then dies of the same signal. Async-signal-safe calls only.
private func forwardSignalToPeer(_ sig: Int32) {
    if runningPeerGroup > 0 { kill(-runningPeerGroup, sig) }
    var byte = UInt8(truncatingIfNeeded: sig)
    if peerSignalPipe >= 0 { _ = write(peerSignalPipe, &byte, 1) }
}

/// Runs the peer script (`experiments/peers/qbench_peers.py`) with a given Python interpreter, one process at a
/// time, and reads the one JSON document it prints on stdout.
public struct PeerProcess {
    /// The interpreter: a path, or a bare name looked up in `PATH`.
    public var python: String
    /// The peer script.
    public var script: String
    /// Arguments for every run: model, data, batching, limit (not threads or repeats).
    public var arguments: [String]
    /// Seconds one run (`run`) may take before its process group is killed; nil: `defaultRunTimeout`.
    public var timeout: Double?
    /// Seconds the `--check` call may take (importing torch can be slow on a cold disk).
    public var checkTimeout: Double
    /// Seconds between SIGTERM and SIGKILL when the peer's process group is stopped.
    public var killGrace: Double
    /// The most a peer may print on stdout (its one JSON document); more is an error.
    public var maxOutputBytes: Int

    /// The default `checkTimeout`: 300 s.
    public static let defaultCheckTimeout: Double = 300
    /// The default `maxOutputBytes`: 16 MB.
    public static let defaultMaxOutputBytes = 16 << 20

    /// The default per-run timeout, derived from the work of one run: 600 s (start-up, loading, a first ONNX
    /// export) plus 2 s per example per engine per repeat — generous next to real peers, which take milliseconds
    /// per example, so only a peer that has stopped answering reaches it.
    public static func defaultRunTimeout(examples: Int, engines: Int, repeats: Int = 1) -> Double {
        600 + 2 * Double(max(examples, 1) * max(engines, 1) * max(repeats, 1))
    }

    public init(python: String, script: String, arguments: [String], timeout: Double? = nil,
                checkTimeout: Double = PeerProcess.defaultCheckTimeout, killGrace: Double = 5,
                maxOutputBytes: Int = PeerProcess.defaultMaxOutputBytes) {
        self.python = python
        self.script = script
        self.arguments = arguments
        self.timeout = timeout
        self.checkTimeout = checkTimeout
        self.killGrace = killGrace
        self.maxOutputBytes = maxOutputBytes
    }

    /// Imports torch, transformers, onnxruntime and onnx in the interpreter; returns their versions.
    public func check() throws -> PeerDocument {
        guard FileManager.default.isReadableFile(atPath: script) else {
            throw ExperimentError.badPath(path: script, reason: "peer script not found")
        }
        return try invoke([script, "--check"], timeout: timeout.map { min($0, checkTimeout) } ?? checkTimeout)
    }

    /// One run at `threads` with `repeats` timed passes per peer engine; checks the rows are for `threads`.
    public func run(threads: Int, repeats: Int) throws -> PeerDocument {
        let engines = arguments.firstIndex(of: "--engines").flatMap { i in
            i + 1 < arguments.count ? arguments[i + 1].split(separator: ",").count : nil } ?? 2
        let examples = arguments.firstIndex(of: "--limit").flatMap { i in
            i + 1 < arguments.count ? Int(arguments[i + 1]) : nil } ?? 10_000
        let limit = timeout ?? Self.defaultRunTimeout(examples: examples, engines: engines, repeats: repeats)
        let doc = try invoke([script] + arguments + ["--threads", "\(threads)", "--repeats", "\(repeats)"], timeout: limit)
        guard let results = doc.results, !results.isEmpty else {
            throw ExperimentError.invalid("\(python) \(script): the peer document has no results")
        }
        if let bad = results.first(where: { $0.threads != threads }) {
            throw ExperimentError.invalid("\(python) \(script): asked for \(threads) threads, got a result for "
                                          + "\(bad.threads)")
        }
        return doc
    }

    /// The interpreter as an executable path.
    func executable() throws -> String {
        if python.contains("/") {
            guard FileManager.default.isExecutableFile(atPath: python) else {
                throw ExperimentError.badPath(path: python, reason: "no executable Python interpreter here (--peers)")
            }
            return python
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/\(python)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        throw ExperimentError.badPath(path: python, reason: "no such Python interpreter in PATH (--peers)")
    }

    /// Runs the interpreter with `args` in its own process group, reading its stdout (at most `maxOutputBytes`)
    /// and the tail of its stderr; kills the whole group on timeout, on too much output, and on SIGINT/SIGTERM
    /// (then re-raises the signal). Leaves no member of the group behind, even when the peer itself exits.
    private func invoke(_ args: [String], timeout: Double) throws -> PeerDocument {
        let exe = try executable()
        let command = "\(python) \(args.first ?? "")"
        var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], sigPipe: [Int32] = [-1, -1]
        func makePipe(_ fds: inout [Int32], nonblocking: Bool = false) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                if nonblocking { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
            }
            return true
        }
        guard makePipe(&outPipe), makePipe(&errPipe), makePipe(&sigPipe, nonblocking: true) else {
            for fd in outPipe + errPipe + sigPipe where fd >= 0 { close(fd) }
            throw ExperimentError.invalid("cannot start \(python): pipe: \(String(cString: strerror(errno)))")
        }
        defer { for fd in [outPipe[0], errPipe[0], sigPipe[0], sigPipe[1]] { close(fd) } }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Its own process group (so the group can be signalled as one, and Ctrl-C does not reach it directly),
        // default SIGINT/SIGTERM and an empty signal mask.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGPIPE)
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &empty)

        let argv: [UnsafeMutablePointer<CChar>?] = ([exe] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }

        // Handlers before the spawn, so a signal between the two cannot orphan the peer.
        peerSignalPipe = sigPipe[1]
        let oldInt = signal(SIGINT, forwardSignalToPeer), oldTerm = signal(SIGTERM, forwardSignalToPeer)
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, exe, &actions, &attr, argv, envp)
        close(outPipe[1])
        close(errPipe[1])
        if rc == 0 { runningPeerGroup = pid }
        defer {
            runningPeerGroup = 0
            peerSignalPipe = -1
            signal(SIGINT, oldInt)
            signal(SIGTERM, oldTerm)
        }
        guard rc == 0 else {
            throw ExperimentError.invalid("cannot start \(python): \(String(cString: strerror(rc)))")
        }

        var stdout = Data(), stderrTail = Data()
        var outOpen = true, errOpen = true
        var status: Int32 = 0, exited = false
        var failure: String?
        var caught: Int32 = 0
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)

        /// SIGTERM to the group, up to `killGrace` for the peer to exit, then SIGKILL to whatever is left.
        func stopGroup() {
            if !exited {
                kill(-pid, SIGTERM)
                let end = Date().addingTimeInterval(killGrace)
                while !exited && Date() < end {
                    if waitpid(pid, &status, WNOHANG) == pid { exited = true } else { usleep(20_000) }
                }
            }
            kill(-pid, SIGKILL)
            while !exited {
                let r = waitpid(pid, &status, 0)
                if r == pid || (r == -1 && errno != EINTR) { exited = true }
            }
        }

        while outOpen || errOpen || !exited {
            if !exited {
                let r = waitpid(pid, &status, WNOHANG)
                if r == pid || (r == -1 && errno == ECHILD) {
                    exited = true
                    // The peer is done: nothing of its group may outlive it (or hold its pipes open).
                    kill(-pid, SIGKILL)
                }
            }
            if !outOpen && !errOpen { if exited { break } }
            var fds = [pollfd(fd: sigPipe[0], events: Int16(POLLIN), revents: 0),
                       pollfd(fd: outOpen ? outPipe[0] : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errOpen ? errPipe[0] : -1, events: Int16(POLLIN), revents: 0)]
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                failure = "peer \(command) did not finish within \(Self.seconds(timeout)) s (raise it with --peer-timeout or "
                    + "QBENCH_PEER_TIMEOUT); killed its process group"
                break
            }
            let n = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000, 100)) + 1)
            if n < 0 && errno != EINTR { break }
            if fds[0].revents != 0 {
                var byte: UInt8 = 0
                if read(sigPipe[0], &byte, 1) == 1 { caught = Int32(byte); break }
            }
            if outOpen && fds[1].revents != 0 {
                let k = read(outPipe[0], &buffer, buffer.count)
                if k > 0 {
                    stdout.append(contentsOf: buffer[0..<k])
                    if stdout.count > maxOutputBytes {
                        failure = "peer \(command) printed more than \(Self.megabytes(maxOutputBytes)) on stdout "
                            + "(a peer prints one JSON document); killed its process group"
                        break
                    }
                } else if k == 0 || errno != EINTR { outOpen = false }
            }
            if errOpen && fds[2].revents != 0 {
                let k = read(errPipe[0], &buffer, buffer.count)
                if k > 0 {
                    stderrTail.append(contentsOf: buffer[0..<k])
                    if stderrTail.count > 128 << 10 { stderrTail = Data(stderrTail.suffix(64 << 10)) }
                } else if k == 0 || errno != EINTR { errOpen = false }
            }
        }
        stopGroup()
        if caught != 0 {
            // Die of the signal, as without a peer (the handlers are restored by raising with the default).
            signal(caught, SIG_DFL)
            raise(caught)
        }
        if let failure { throw ExperimentError.invalid(failure) }

        let stderr = String(decoding: stderrTail, as: UTF8.self)
        let exitedNormally = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff, sig = status & 0x7f
        guard exitedNormally, code == 0 else {
            let tail = stderr.split(separator: "\n").suffix(12).joined(separator: "\n")
            let how = exitedNormally ? "exited with status \(code)" : "was killed by signal \(sig)"
            throw ExperimentError.invalid("peer \(command) \(how)" + (tail.isEmpty ? "" : ":\n\(tail)"))
        }
        return try PeerDocument.parse(stdout, source: "peer \(command)")
    }

    /// `1`, `2.5`: seconds as given, without a trailing `.0`.
    static func seconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? String(Int(s)) : String(s)
    }

    /// `16 MB` (binary megabytes), or bytes below one.
    static func megabytes(_ n: Int) -> String {
        n >= 1 << 20 ? "\(n >> 20) MB" : "\(n) bytes"
    }
}
