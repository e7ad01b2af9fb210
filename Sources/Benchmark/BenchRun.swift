import BERT
import Datasets
import Experiments
import Foundation
import Quantization
import RunRecords
import TensorCore
import _Support

/// `qbench bench` as a library call: loads the model and data, starts the peer (when asked), times every scheme
/// with `Benchmark.run`, prints the table and ratios through `log`, and writes the JSON report.
public enum BenchRun {
    /// Where static schemes take their calibration batches from.
    public struct CalibrationData: Sendable {
        public var data: String
        public var split: String
        public var examples: Int

        public init(data: String, split: String = "train", examples: Int = 256) {
            self.data = data
            self.split = split
            self.examples = examples
        }
    }

    /// The PyTorch / ONNX Runtime peer (`experiments/peers/qbench_peers.py`).
    public struct Peer: Sendable {
        /// The interpreter (a path or a name on `PATH`).
        public var python: String
        /// The peer script.
        public var script: String
        /// Comma-separated engines: `pytorch`, `onnxruntime`.
        public var engines: String
        /// Where the peer caches its ONNX exports (nil: its default).
        public var cacheDirectory: String?
        /// Seconds any one wait for the peer may take before its process group is killed (`--peer-timeout`): the
        /// check, the start-up at each thread count, each pass's answer, the exit. nil: the environment's
        /// `QBENCH_PEER_TIMEOUT`, else the defaults: 300 s for the check, 900 s for a start-up, 60 s + 2 s per
        /// example for each pass, 60 s for the exit (`PeerProcess`).
        public var timeout: Double?

        public init(python: String, script: String, engines: String, cacheDirectory: String? = nil,
                    timeout: Double? = nil) {
            self.python = python
            self.script = script
            self.engines = engines
            self.cacheDirectory = cacheDirectory
            self.timeout = timeout
        }

        /// `timeout`, else `QBENCH_PEER_TIMEOUT`; both must be a positive, finite number of seconds.
        public func resolvedTimeout(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Double? {
            let given: Double?
            if let timeout { given = timeout }
            else if let text = environment["QBENCH_PEER_TIMEOUT"] {
                guard let v = Double(text.trimmingCharacters(in: .whitespaces)) else {
                    throw ExperimentError.invalid("the peer timeout must be a positive number of seconds "
                                                  + "(QBENCH_PEER_TIMEOUT=\(text))")
                }
                given = v
            } else { given = nil }
            if let given, !(given > 0 && given.isFinite) {
                throw ExperimentError.invalid("the peer timeout must be a positive number of seconds "
                                              + "(--peer-timeout / QBENCH_PEER_TIMEOUT), got \(given)")
            }
            return given
        }
    }

    /// What to time.
    public struct Request: Sendable {
        public var model: String
        public var data: String
        public var split: String
        public var schemes: [ModelScheme]
        public var threads: [Int]
        public var repeats: Int
        /// Untimed passes over all batches per configuration (ours and the peer's) before the timed ones.
        public var warmups: Int
        /// Only the first `limit` examples (0 = all).
        public var limit: Int
        public var batching: BatchingOptions
        public var calibration: CalibrationData
        public var peer: Peer?
        /// Write the whole report as JSON to this file.
        public var json: String?
        /// Load weights holding NaN or ±Inf (`--allow-nonfinite`); refused otherwise, naming the tensor.
        public var allowNonFinite = false

        public init(model: String, data: String, split: String, schemes: [ModelScheme], threads: [Int], repeats: Int,
                    warmups: Int = 1, limit: Int, batching: BatchingOptions, calibration: CalibrationData, peer: Peer?, json: String?) {
            self.model = model
            self.data = data
            self.split = split
            self.schemes = schemes
            self.threads = threads
            self.repeats = repeats
            self.warmups = warmups
            self.limit = limit
            self.batching = batching
            self.calibration = calibration
            self.peer = peer
            self.json = json
        }
    }

    /// Runs `request`; the set-up, the table, the warmth line, the fastest-peer table, the peer configurations not
    /// timed and the peer's versions go to `log` line by line, the current step to `status` (a progress line).
    /// - Throws: `ExperimentError` for bad inputs, a peer that fails its check (before anything is quantized or
    ///   timed), breaks the line protocol, or times other inputs than ours; `SupportError` when the JSON report
    ///   cannot be written.
    @discardableResult
    public static func run(_ request: Request, log: (String) -> Void, status: ((String) -> Void)? = nil) throws -> Benchmark.Session {
        let loadStart = Benchmark.loadAverage()
        let peerTimeout = try request.peer?.resolvedTimeout()
        if let json = request.json { try AtomicFile.checkWritable(json) }
        let folder = try ModelFolder(path: request.model, allowNonFinite: request.allowNonFinite)
        let options = request.batching
        try folder.checkSequenceLength(options)
        var dataset = try PairDataset.load(path: request.data, split: request.split)
        if request.limit > 0 { dataset = PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(request.limit))) }
        let batches = folder.batches(dataset, options: options)
        let digest = Benchmark.inputDigest(batches)

        // The peer's packages first: a missing interpreter or package fails before any model is quantized or timed.
        var peer: PeerProcess?
        if let p = request.peer {
            var args = ["--model", folder.url.standardizedFileURL.path,
                        "--data", URL(fileURLWithPath: dataset.path).standardizedFileURL.path,
                        "--batch-size", "\(options.batchSize)", "--max-seq-length", "\(options.maxSeqLength)",
                        options.padToMax ? "--pad-to-max" : "--no-pad-to-max", "--engines", p.engines]
            if request.limit > 0 { args += ["--limit", "\(request.limit)"] }
            if let dir = p.cacheDirectory { args += ["--cache-dir", dir] }
            let process = PeerProcess(python: p.python, script: p.script, arguments: args, timeout: peerTimeout)
            _ = try process.check()
            peer = process
        }

        var variants: [Benchmark.Variant] = []
        for s in request.schemes {
            let (m, used, _) = try folder.model(for: s) {
                try folder.calibrationBatches(data: request.calibration.data, split: request.calibration.split,
                                              examples: request.calibration.examples, options: options)
            }
            variants.append(Benchmark.Variant(name: used.name, model: m))
        }
        let c = folder.model.config
        let cpu = CPUInfo.current
        log("model \(request.model): \(c.numHiddenLayers) layers × \(c.hiddenSize), \(dataset.count) examples, "
            + "batch \(options.batchSize), \(options.padToMax ? "padded to \(options.maxSeqLength)" : "padded to longest"), "
            + "\(request.warmups) warm-up + \(request.repeats) timed passes, "
            + "threads \(request.threads.map(String.init).joined(separator: ","))")
        log("CPU \(cpu.brand) (\(cpu.features.joined(separator: " "))), int8 kernels \(KernelDispatch.family), "
            + "BLAS core \(BLASRuntime.coreName), "
            + "load average \(format(loadStart)) at start")

        var lastReady: PeerReady?
        let startPeer: ((Int) throws -> BenchPeer)? = peer.map { p in
            { t in
                let session = try p.start(threads: t, examples: dataset.count, digest: digest)
                lastReady = session.ready
                return session
            }
        }
        let session = try Benchmark.run(variants, batches: batches, labels: dataset.isLabelled ? dataset.labels : nil,
                                        threads: request.threads, repeats: request.repeats, warmups: request.warmups,
                                        peer: startPeer) { status?($0) }
        status?("")
        let loadEnd = Benchmark.loadAverage()
        let fastest = FastestPeer.select(session.rows)

        log("")
        log(Benchmark.table(session.rows))
        log("Wall-time medians; first/median = first timed pass / median (≈ 1: warm); speed-up = our baseline median / "
            + "row median; \"ours faster by\" = peer median / median of our counterpart scheme (> 1: ours is faster). "
            + "Load average \(format(loadEnd)) at end.")
        if let warmth = Benchmark.warmthLine(session.rows) { log(warmth) }
        if !fastest.isEmpty {
            log("")
            log(Benchmark.fastestPeerTable(fastest))
            log("ours vs fastest peer = the fastest peer configuration's median / our counterpart's median (> 1: ours "
                + "is faster): int8 peers vs our pytorch-dynamic, fp32 peers vs our fp32.")
        }
        if !session.unavailable.isEmpty {
            log("")
            log("Peer configurations not timed:")
            for line in Benchmark.unavailableLines(session.unavailable) { log("  \(line)") }
        }
        if let info = lastReady, let p = request.peer { log(versionLine(info, python: p.python)) }

        if let json = request.json {
            let report = BenchReport(
                model: request.model, data: dataset.path, examples: dataset.count, batching: options, repeats: request.repeats,
                warmups: request.warmups, threads: request.threads, inputSHA256: digest, blasCore: BLASRuntime.coreName,
                kernelFamily: KernelDispatch.family, bf16Kernel: KernelDispatch.bf16Kernel,
                cpu: cpu.brand, cpuFeatures: cpu.features, loadAverageStart: loadStart, loadAverageEnd: loadEnd,
                order: BenchReport.order(session.order, names: variants.map(\.name)),
                rows: BenchReport.records(session.rows), fastestPeers: fastest,
                peer: lastReady.map {
                    BenchReport.PeerRecord(python: request.peer!.python, script: peer!.script, ready: $0,
                                           unavailable: session.unavailable)
                })
            try AtomicFile.write(try report.json(), to: json)
        }
        return session
    }

    /// `peers (python): torch 2.x (quantized engine …), transformers …, onnxruntime … (providers)`.
    static func versionLine(_ info: PeerReady, python: String) -> String {
        let v = info.versions
        var line = "peers (\(python)): torch \(v["torch"] ?? "?")"
        if let t = info.torch {
            line += " (quantized engines \((t.supportedQuantizedEngines ?? []).joined(separator: ", ")), "
                + "CPU capability \(t.cpuCapability ?? "?"), attention \(t.attnImplementation ?? "?"))"
        }
        line += ", transformers \(v["transformers"] ?? "?")"
        if let o = v["onnxruntime"] {
            line += ", onnxruntime \(o) (\((info.onnxruntime?.executionProviders ?? []).joined(separator: ", ")))"
        }
        return line
    }

    /// The three load averages, or "unknown".
    public static func format(_ load: [Double]?) -> String {
        load.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "unknown"
    }
}
