import Foundation
import RunRecords

/// Everything `qbench bench --json OUT` writes: the set-up, the machine, the order of the steps, every row with its
/// medians and ratios, the fastest peer per thread count and precision, and the peer's versions and back ends.
/// Schema 2: peers measured warm over the line protocol (steps `peer-start`, `peer-warm-up`, `peer-pass`,
/// `peer-stop`), `warmups`, per-row `warmup_seconds` and `first_pass_over_median`, `fastest_peers`.
public struct BenchReport: Encodable {
    public var schemaVersion = 2
    public var model: String
    public var data: String
    public var examples: Int
    public var batching: BatchingOptions
    public var repeats: Int
    /// Untimed passes over all batches per configuration before the timed ones.
    public var warmups: Int
    public var threads: [Int]
    /// `Benchmark.inputDigest` of our batches (the peer's must match).
    public var inputSHA256: String
    public var blasCore: String
    /// The int8 kernel family qb_dispatch.c ran (`KernelDispatch.family`: avx512vnni, amx, …).
    public var kernelFamily: String
    /// The bf16 GEMM kernel the `bf16` scheme's layers ran (`KernelDispatch.bf16Kernel`: avx512bf16, amx, ref, …).
    public var bf16Kernel: String
    public var cpu: String
    public var cpuFeatures: [String]
    /// 1/5/15-minute load averages when the session started and ended.
    public var loadAverageStart: [Double]?
    public var loadAverageEnd: [Double]?
    public var order: [StepRecord]
    public var rows: [RowRecord]
    /// `FastestPeer.select(rows)`.
    public var fastestPeers: [FastestPeer]
    public var peer: PeerRecord?

    public init(model: String, data: String, examples: Int, batching: BatchingOptions, repeats: Int, warmups: Int, threads: [Int],
                inputSHA256: String, blasCore: String, kernelFamily: String, bf16Kernel: String, cpu: String, cpuFeatures: [String], loadAverageStart: [Double]?,
                loadAverageEnd: [Double]?, order: [StepRecord], rows: [RowRecord], fastestPeers: [FastestPeer],
                peer: PeerRecord?) {
        self.model = model
        self.data = data
        self.examples = examples
        self.batching = batching
        self.repeats = repeats
        self.warmups = warmups
        self.threads = threads
        self.inputSHA256 = inputSHA256
        self.blasCore = blasCore
        self.kernelFamily = kernelFamily
        self.bf16Kernel = bf16Kernel
        self.cpu = cpu
        self.cpuFeatures = cpuFeatures
        self.loadAverageStart = loadAverageStart
        self.loadAverageEnd = loadAverageEnd
        self.order = order
        self.rows = rows
        self.fastestPeers = fastestPeers
        self.peer = peer
    }

    /// One executed step.
    public struct StepRecord: Encodable, Equatable {
        /// `peer-start`, `warm-up`, `peer-warm-up`, `pass`, `peer-pass` or `peer-stop`.
        public var kind: String
        /// `quantbench` for ours, `peers` for our peer process.
        public var engine: String
        /// Our scheme; nil for peer steps.
        public var scheme: String?
        /// The peer configuration (`pytorch-dynamic-onednn`); nil for ours.
        public var config: String?
        public var threads: Int
        /// Warm-up or timed round, from 1; nil for the peer's start and stop.
        public var round: Int?

        public init(kind: String, engine: String, scheme: String? = nil, config: String? = nil, threads: Int,
                    round: Int? = nil) {
            self.kind = kind
            self.engine = engine
            self.scheme = scheme
            self.config = config
            self.threads = threads
            self.round = round
        }
    }

    /// A row with its derived numbers.
    public struct RowRecord: Encodable {
        public var row: Benchmark.Row
        public var ratios: Benchmark.Ratios

        public func encode(to encoder: Encoder) throws {
            try row.encode(to: encoder)
            try ratios.encode(to: encoder)
            var c = encoder.container(keyedBy: Keys.self)
            try c.encode(row.median, forKey: .median)
            try c.encode(row.cpuMedian, forKey: .cpuMedian)
            try c.encode(row.msPerExample, forKey: .msPerExample)
            try c.encodeIfPresent(row.firstPassOverMedian, forKey: .firstPassOverMedian)
        }

        enum Keys: String, CodingKey {
            case median = "median_seconds", cpuMedian = "cpu_median_seconds", msPerExample = "ms_per_example"
            case firstPassOverMedian = "first_pass_over_median"
        }
    }

    /// Who the peer was.
    public struct PeerRecord: Encodable {
        public var python: String
        public var script: String
        public var protocolVersion: Int
        public var versions: [String: String]
        public var torch: PeerTorchInfo?
        public var onnxruntime: PeerONNXRuntimeInfo?
        /// The peer's digest of its inputs (equal to ours, or the session was refused).
        public var inputSHA256: String
        /// What it timed and how each configuration was made.
        public var configurations: [PeerConfiguration]
        /// What it could not time, with the reason.
        public var unavailable: [PeerUnavailable]

        public init(python: String, script: String, ready: PeerReady, unavailable: [PeerUnavailable]) {
            self.python = python
            self.script = script
            self.protocolVersion = ready.protocolVersion
            self.versions = ready.versions
            self.torch = ready.torch
            self.onnxruntime = ready.onnxruntime
            self.inputSHA256 = ready.inputSHA256
            self.configurations = ready.configs
            self.unavailable = unavailable
        }

        enum CodingKeys: String, CodingKey {
            case python, script, protocolVersion = "protocol", versions, torch, onnxruntime, inputSHA256 = "input_sha256"
            case configurations, unavailable
        }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", model, data, examples, batching, repeats, warmups, threads
        case inputSHA256 = "input_sha256", blasCore = "blas_core", kernelFamily = "kernel_family"
        case bf16Kernel = "bf16_kernel", cpu
        case cpuFeatures = "cpu_features"
        case loadAverageStart = "load_average_start", loadAverageEnd = "load_average_end", order, rows, fastestPeers = "fastest_peers", peer
    }

    /// The steps of `session` with our variants' names.
    public static func order(_ steps: [Benchmark.Step], names: [String]) -> [StepRecord] {
        steps.map { s in
            switch s {
            case let .peerStart(t):
                return StepRecord(kind: "peer-start", engine: "peers", threads: t)
            case let .warmUp(v, t, r):
                return StepRecord(kind: "warm-up", engine: Benchmark.ourEngine, scheme: names[v], threads: t, round: r + 1)
            case let .peerWarmUp(c, t, r):
                return StepRecord(kind: "peer-warm-up", engine: "peers", config: c, threads: t, round: r + 1)
            case let .pass(v, t, r):
                return StepRecord(kind: "pass", engine: Benchmark.ourEngine, scheme: names[v], threads: t, round: r + 1)
            case let .peerPass(c, t, r):
                return StepRecord(kind: "peer-pass", engine: "peers", config: c, threads: t, round: r + 1)
            case let .peerStop(t):
                return StepRecord(kind: "peer-stop", engine: "peers", threads: t)
            }
        }
    }

    /// Rows with their ratios among `rows`.
    public static func records(_ rows: [Benchmark.Row]) -> [RowRecord] {
        rows.map { RowRecord(row: $0, ratios: Benchmark.ratios(of: $0, in: rows)) }
    }

    /// Pretty, key-sorted JSON; a non-finite number (a model loaded with `--allow-nonfinite`) is the string
    /// `"NaN"`, `"Infinity"` or `"-Infinity"`.
    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity",
                                                                  nan: "NaN")
        return try enc.encode(self)
    }
}
