import Foundation
import RunRecords

/// Everything `qbench bench --json OUT` writes: the set-up, the machine, the order of the steps, every row with its
/// medians and ratios, and the peer's versions and back ends.
public struct BenchReport: Encodable {
    public var schemaVersion = 1
    public var model: String
    public var data: String
    public var examples: Int
    public var batching: BatchingOptions
    public var repeats: Int
    public var threads: [Int]
    /// `Benchmark.inputDigest` of our batches (the peer's must match).
    public var inputSHA256: String
    public var blasCore: String
    public var cpu: String
    public var cpuFeatures: [String]
    /// 1/5/15-minute load averages when the session started and ended.
    public var loadAverageStart: [Double]?
    public var loadAverageEnd: [Double]?
    public var order: [StepRecord]
    public var rows: [RowRecord]
    public var peer: PeerRecord?

    public init(model: String, data: String, examples: Int, batching: BatchingOptions, repeats: Int, threads: [Int],
                inputSHA256: String, blasCore: String, cpu: String, cpuFeatures: [String], loadAverageStart: [Double]?,
                loadAverageEnd: [Double]?, order: [StepRecord], rows: [RowRecord], peer: PeerRecord?) {
        self.model = model
        self.data = data
        self.examples = examples
        self.batching = batching
        self.repeats = repeats
        self.threads = threads
        self.inputSHA256 = inputSHA256
        self.blasCore = blasCore
        self.cpu = cpu
        self.cpuFeatures = cpuFeatures
        self.loadAverageStart = loadAverageStart
        self.loadAverageEnd = loadAverageEnd
        self.order = order
        self.rows = rows
        self.peer = peer
    }

    /// One executed step.
    public struct StepRecord: Encodable, Equatable {
        /// `warm-up`, `pass` or `peer`.
        public var kind: String
        public var engine: String
        public var scheme: String?
        public var threads: Int
        /// From 1; nil for warm-ups.
        public var round: Int?
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
        }

        enum Keys: String, CodingKey {
            case median = "median_seconds", cpuMedian = "cpu_median_seconds", msPerExample = "ms_per_example"
        }
    }

    /// Who the peer was.
    public struct PeerRecord: Encodable {
        public var python: String
        public var script: String
        public var versions: [String: String]
        public var torch: PeerDocument.TorchInfo?
        public var onnxruntime: PeerDocument.ONNXRuntimeInfo?
        /// The peer's digest of its inputs (nil if it did not report one).
        public var inputSHA256: String?

        public init(python: String, script: String, versions: [String: String], torch: PeerDocument.TorchInfo?,
                    onnxruntime: PeerDocument.ONNXRuntimeInfo?, inputSHA256: String?) {
            self.python = python
            self.script = script
            self.versions = versions
            self.torch = torch
            self.onnxruntime = onnxruntime
            self.inputSHA256 = inputSHA256
        }

        enum CodingKeys: String, CodingKey {
            case python, script, versions, torch, onnxruntime, inputSHA256 = "input_sha256"
        }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", model, data, examples, batching, repeats, threads
        case inputSHA256 = "input_sha256", blasCore = "blas_core", cpu, cpuFeatures = "cpu_features"
        case loadAverageStart = "load_average_start", loadAverageEnd = "load_average_end", order, rows, peer
    }

    /// The steps of `session` with our variants' names.
    public static func order(_ steps: [Benchmark.Step], names: [String]) -> [StepRecord] {
        steps.map { s in
            switch s {
            case let .warmUp(v, t):
                return StepRecord(kind: "warm-up", engine: Benchmark.ourEngine, scheme: names[v], threads: t, round: nil)
            case let .pass(v, t, r):
                return StepRecord(kind: "pass", engine: Benchmark.ourEngine, scheme: names[v], threads: t, round: r + 1)
            case let .peer(t, r):
                return StepRecord(kind: "peer", engine: "peers", scheme: nil, threads: t, round: r + 1)
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
