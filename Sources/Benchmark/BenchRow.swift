import Foundation
import _Support

extension Benchmark {
    /// Timing of one engine and configuration at one thread count.
    public struct Row: Codable, Sendable, Equatable {
        /// `quantbench`, `pytorch` or `onnxruntime`.
        public var engine: String
        /// Our scheme name, or the peer's (`fp32`, `quantize_dynamic`).
        public var scheme: String
        /// A peer's variant: its quantized engine (`x86`, `fbgemm`, `onednn`) or ORT graph (`plain`, `fused`).
        public var variant: String?
        /// A peer's configuration name in the line protocol (`pytorch-dynamic-onednn`).
        public var config: String?
        /// A peer's precision group, `fp32` or `int8` (see `FastestPeer`).
        public var precision: String?
        public var threads: Int
        /// Wall seconds of the untimed warm-up passes over all batches, in order.
        public var warmupSeconds: [Double]
        /// Wall seconds for one pass over all batches, each round.
        public var seconds: [Double]
        /// Process CPU seconds (all threads) for the same passes: less sensitive than wall time to other
        /// processes competing for the cores, so a busy machine still gives comparable 1-thread ratios.
        public var cpuSeconds: [Double]
        public var examples: Int
        /// Parameter bytes / 1e6 (ours), or the peer's serialized model size.
        public var modelMB: Double?
        /// argmax of each example's logits in the first timed pass, in data order.
        public var predictions: [Int]?
        public var f1: Double?
        public var accuracy: Double?

        public init(engine: String, scheme: String, variant: String? = nil, config: String? = nil,
                    precision: String? = nil, threads: Int, warmupSeconds: [Double] = [], seconds: [Double],
                    cpuSeconds: [Double], examples: Int, modelMB: Double? = nil, predictions: [Int]? = nil,
                    f1: Double? = nil, accuracy: Double? = nil) {
            self.engine = engine
            self.scheme = scheme
            self.variant = variant
            self.config = config
            self.precision = precision
            self.threads = threads
            self.warmupSeconds = warmupSeconds
            self.seconds = seconds
            self.cpuSeconds = cpuSeconds
            self.examples = examples
            self.modelMB = modelMB
            self.predictions = predictions
            self.f1 = f1
            self.accuracy = accuracy
        }

        /// An empty row for a peer configuration at `threads`.
        public init(peer c: PeerConfiguration, threads: Int, examples: Int) {
            self.init(engine: c.engine, scheme: c.scheme, variant: c.variant, config: c.name, precision: c.precision,
                      threads: threads, seconds: [], cpuSeconds: [], examples: examples, modelMB: c.modelMB)
        }

        public var median: Double { seconds.median }
        public var cpuMedian: Double { cpuSeconds.median }
        public var msPerExample: Double { 1000 * median / Double(max(1, examples)) }
        public var isOurs: Bool { engine == Benchmark.ourEngine }
        /// `fp32`, or `quantize_dynamic [onednn]` for a peer variant: the table's scheme column.
        public var displayScheme: String { scheme + (variant.map { " [\($0)]" } ?? "") }
        /// `pytorch quantize_dynamic [onednn]`.
        public var displayName: String { "\(engine) \(displayScheme)" }

        /// The first timed pass over the median of all timed passes: ≈ 1 when the warm-up left the row warm
        /// (> 1: the first pass was slower). nil with fewer than two timed passes, where it says nothing.
        public var firstPassOverMedian: Double? {
            guard seconds.count >= 2, median > 0 else { return nil }
            return seconds[0] / median
        }

        enum CodingKeys: String, CodingKey {
            case engine, scheme, variant, config, precision, threads, seconds, examples, predictions, f1, accuracy
            case warmupSeconds = "warmup_seconds", cpuSeconds = "cpu_seconds", modelMB = "model_mb"
        }
    }

    /// Our scheme a peer row is compared with: `fp32` with `fp32`, `int8` (`quantize_dynamic`) with
    /// `pytorch-dynamic`, the scheme that reproduces `torch.ao.quantization.quantize_dynamic`.
    public static func counterpart(of row: Row) -> String? {
        switch row.precision {
        case "fp32": return "fp32"
        case "int8": return "pytorch-dynamic"
        default: return counterpart(ofPeerScheme: row.scheme)
        }
    }

    /// The counterpart by peer scheme name: `fp32` ↔ `fp32`, `quantize_dynamic` ↔ `pytorch-dynamic`.
    public static func counterpart(ofPeerScheme scheme: String) -> String? {
        switch scheme {
        case "fp32": return "fp32"
        case "quantize_dynamic": return "pytorch-dynamic"
        default: return nil
        }
    }

    /// Our baseline at `threads`: the `fp32` row, else our first row.
    public static func baseline(_ rows: [Row], threads: Int) -> Row? {
        let ours = rows.filter { $0.isOurs && $0.threads == threads }
        return ours.first { $0.scheme == "fp32" } ?? ours.first
    }

    /// Ratios of one row, all "how many times faster" (> 1 = faster), computed from medians of wall seconds.
    public struct Ratios: Codable, Sendable, Equatable {
        /// Our baseline's median / this row's median.
        public var speedupVsOurBaseline: Double?
        /// CPU-seconds version of the same.
        public var cpuSpeedupVsOurBaseline: Double?
        /// For a peer row: our counterpart scheme (see `counterpart(of:)`).
        public var ourCounterpart: String?
        /// For a peer row: this row's median / our counterpart's median, i.e. how many times faster ours is.
        public var oursFasterBy: Double?
        /// Prediction flips vs our baseline (when both have predictions of equal length).
        public var flipsVsOurBaseline: Int?

        enum CodingKeys: String, CodingKey {
            case speedupVsOurBaseline = "speedup_vs_our_baseline", cpuSpeedupVsOurBaseline = "cpu_speedup_vs_our_baseline"
            case ourCounterpart = "our_counterpart", oursFasterBy = "ours_faster_by"
            case flipsVsOurBaseline = "flips_vs_our_baseline"
        }
    }

    /// The ratios of `row` among `rows`.
    public static func ratios(of row: Row, in rows: [Row]) -> Ratios {
        var r = Ratios()
        if let base = baseline(rows, threads: row.threads) {
            if row.median > 0 { r.speedupVsOurBaseline = base.median / row.median }
            if row.cpuMedian > 0 { r.cpuSpeedupVsOurBaseline = base.cpuMedian / row.cpuMedian }
            if let p = row.predictions, let q = base.predictions, p.count == q.count {
                r.flipsVsOurBaseline = zip(p, q).filter { $0 != $1 }.count
            }
        }
        if !row.isOurs, let name = counterpart(of: row),
           let ours = rows.first(where: { $0.isOurs && $0.scheme == name && $0.threads == row.threads }) {
            r.ourCounterpart = name
            if ours.median > 0 { r.oursFasterBy = row.median / ours.median }
        }
        return r
    }
}
