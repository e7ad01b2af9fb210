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
            let head = String(decoding: data.prefix(200), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            throw ExperimentError.invalid("\(source) did not print a peer JSON document (\(DecodingErrorText.describe(error))); "
                                          + "its output began: \(head.isEmpty ? "(nothing)" : head)")
        }
        guard doc.tool == "qbench-peers", doc.schemaVersion == 1 else {
            throw ExperimentError.invalid("\(source): expected tool qbench-peers schema_version 1, got \(doc.tool) "
                                          + "schema_version \(doc.schemaVersion)")
        }
        return doc
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

/// The running peer's pid for the signal handler (0: none).
nonisolated(unsafe) private var runningPeerPID: pid_t = 0

/// SIGINT/SIGTERM while a peer runs: terminate the peer, then die of the same signal.
private func stopPeerAndReraise(_ sig: Int32) {
    if runningPeerPID > 0 { kill(runningPeerPID, SIGTERM) }
    signal(sig, SIG_DFL)
    raise(sig)
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

    public init(python: String, script: String, arguments: [String]) {
        self.python = python
        self.script = script
        self.arguments = arguments
    }

    /// Imports torch, transformers, onnxruntime and onnx in the interpreter; returns their versions.
    public func check() throws -> PeerDocument {
        guard FileManager.default.isReadableFile(atPath: script) else {
            throw ExperimentError.badPath(path: script, reason: "peer script not found")
        }
        return try invoke([script, "--check"])
    }

    /// One run at `threads` with `repeats` timed passes per peer engine; checks the rows are for `threads`.
    public func run(threads: Int, repeats: Int) throws -> PeerDocument {
        let doc = try invoke([script] + arguments + ["--threads", "\(threads)", "--repeats", "\(repeats)"])
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

    private func invoke(_ args: [String]) throws -> PeerDocument {
        let exe = try executable()
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-peer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: tmp) }
        let outURL = tmp.appendingPathComponent("stdout"), errURL = tmp.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL), err = try FileHandle(forWritingTo: errURL)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do {
            try p.run()
        } catch {
            throw ExperimentError.invalid("cannot start \(python): \(error.localizedDescription)")
        }
        // The child has its own process group, so Ctrl-C does not reach it: pass SIGINT/SIGTERM on.
        runningPeerPID = p.processIdentifier
        let oldInt = signal(SIGINT, stopPeerAndReraise), oldTerm = signal(SIGTERM, stopPeerAndReraise)
        p.waitUntilExit()
        signal(SIGINT, oldInt)
        signal(SIGTERM, oldTerm)
        runningPeerPID = 0
        try? out.close()
        try? err.close()
        let stdout = (try? Data(contentsOf: outURL)) ?? Data()
        let stderr = String(decoding: (try? Data(contentsOf: errURL)) ?? Data(), as: UTF8.self)
        let command = "\(python) \(args.first ?? "")"
        guard p.terminationReason == .exit, p.terminationStatus == 0 else {
            let tail = stderr.split(separator: "\n").suffix(12).joined(separator: "\n")
            let how = p.terminationReason == .exit ? "exited with status \(p.terminationStatus)"
                                                    : "was killed by signal \(p.terminationStatus)"
            throw ExperimentError.invalid("peer \(command) \(how)" + (tail.isEmpty ? "" : ":\n\(tail)"))
        }
        return try PeerDocument.parse(stdout, source: "peer \(command)")
    }
}
