import BERT
import Datasets
import Experiments
import Foundation
import _Support
import TensorCore

/// Side-by-side timing of several model variants (and optionally external peers) on the same batches.
///
/// For each thread count, every variant runs once per round (A B C A B C …), and the peer — PyTorch and ONNX Runtime
/// in a separate process, `PeerProcess` — runs after our variants in the same round, never at the same time. Slow
/// drifts of a noisy machine therefore hit every variant alike. Medians are reported with ratios to our FP32.
public enum Benchmark {
    /// Engine name of our own rows.
    public static let ourEngine = "quantbench"

    /// One variant to time: a display name and the model to run.
    public struct Variant {
        public var name: String
        public var model: BertModel
        public init(name: String, model: BertModel) {
            self.name = name
            self.model = model
        }
    }

    /// One step of a benchmark session, in execution order.
    public enum Step: Equatable, Sendable, CustomStringConvertible {
        /// One untimed batch of variant `variant` (index into the variants) at `threads`.
        case warmUp(variant: Int, threads: Int)
        /// One timed pass over all batches; `round` counts from 0.
        case pass(variant: Int, threads: Int, round: Int)
        /// One run of the peer process (its own warm-up, one timed pass per peer engine).
        case peer(threads: Int, round: Int)

        public var description: String {
            switch self {
            case let .warmUp(v, t): return "warm-up variant \(v), \(t) threads"
            case let .pass(v, t, r): return "variant \(v), \(t) threads, round \(r + 1)"
            case let .peer(t, r): return "peer, \(t) threads, round \(r + 1)"
            }
        }
    }

    /// The order of a session: for each thread count, one warm-up batch per variant, then `repeats` rounds of
    /// every variant in turn followed (when `peer`) by the peer.
    ///
    ///     schedule(variants: 2, threads: [1, 2], repeats: 2, peer: true)
    ///     // warm-up 0, warm-up 1, pass 0, pass 1, peer, pass 0, pass 1, peer   (threads 1)
    ///     // warm-up 0, warm-up 1, pass 0, pass 1, peer, pass 0, pass 1, peer   (threads 2)
    public static func schedule(variants: Int, threads: [Int], repeats: Int, peer: Bool) -> [Step] {
        var steps: [Step] = []
        for t in threads {
            for v in 0..<variants { steps.append(.warmUp(variant: v, threads: t)) }
            for r in 0..<max(1, repeats) {
                for v in 0..<variants { steps.append(.pass(variant: v, threads: t, round: r)) }
                if peer { steps.append(.peer(threads: t, round: r)) }
            }
        }
        return steps
    }

    /// Timing of one engine and scheme at one thread count.
    public struct Row: Codable, Sendable, Equatable {
        /// `quantbench`, `pytorch` or `onnxruntime`.
        public var engine: String
        /// Our scheme name, or the peer's (`fp32`, `quantize_dynamic`).
        public var scheme: String
        public var threads: Int
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

        public init(engine: String, scheme: String, threads: Int, seconds: [Double], cpuSeconds: [Double],
                    examples: Int, modelMB: Double? = nil, predictions: [Int]? = nil, f1: Double? = nil,
                    accuracy: Double? = nil) {
            self.engine = engine
            self.scheme = scheme
            self.threads = threads
            self.seconds = seconds
            self.cpuSeconds = cpuSeconds
            self.examples = examples
            self.modelMB = modelMB
            self.predictions = predictions
            self.f1 = f1
            self.accuracy = accuracy
        }

        public var median: Double { seconds.median }
        public var cpuMedian: Double { cpuSeconds.median }
        public var msPerExample: Double { 1000 * median / Double(max(1, examples)) }
        public var isOurs: Bool { engine == Benchmark.ourEngine }

        enum CodingKeys: String, CodingKey {
            case engine, scheme, threads, seconds, examples, predictions, f1, accuracy
            case cpuSeconds = "cpu_seconds", modelMB = "model_mb"
        }
    }

    /// What a session did: the rows and the steps in the order they ran.
    public struct Session: Sendable {
        public var rows: [Row]
        public var order: [Step]
    }

    /// Runs `schedule(...)`: times `variants` over `batches` and, when `peer` is given, calls it once per round after
    /// our variants with (threads, round); it returns one-pass rows that are merged by engine, scheme and threads.
    /// - Parameter labels: gold labels for F1/accuracy, or nil.
    public static func run(_ variants: [Variant], batches: [BertBatch], labels: [Int]?, threads: [Int], repeats: Int,
                           peer: ((_ threads: Int, _ round: Int) throws -> [Row])? = nil,
                           progress: ((String) -> Void)? = nil) throws -> Session {
        let examples = batches.reduce(0) { $0 + $1.batch }
        let steps = schedule(variants: variants.count, threads: threads, repeats: repeats, peer: peer != nil)
        var ours: [Int: [Row]] = [:]      // threads → one row per variant
        var peers: [Row] = []
        for step in steps {
            switch step {
            case let .warmUp(v, t):
                Parallel.setThreads(t)
                if ours[t] == nil {
                    ours[t] = variants.map {
                        Row(engine: ourEngine, scheme: $0.name, threads: t, seconds: [], cpuSeconds: [],
                            examples: examples, modelMB: Double($0.model.parameterBytes) / 1e6)
                    }
                }
                progress?("threads \(t): warm-up \(variants[v].name)")
                _ = try variants[v].model.forward(batches[0])  // page in weights, scratch
            case let .pass(v, t, r):
                Parallel.setThreads(t)
                progress?("threads \(t), round \(r + 1)/\(repeats): \(variants[v].name)")
                var predictions: [Int] = []
                predictions.reserveCapacity(examples)
                let start = DispatchTime.now().uptimeNanoseconds
                let cpuStart = processCPUSeconds()
                for b in batches {
                    let logits = try variants[v].model.forward(b).logits
                    let L = logits.shape[1]
                    for i in 0..<b.batch { predictions.append(Evaluator.argmax(Array(logits.data[(i * L)..<((i + 1) * L)]))) }
                }
                let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let cpu = processCPUSeconds() - cpuStart
                ours[t]![v].seconds.append(wall)
                ours[t]![v].cpuSeconds.append(cpu)
                if ours[t]![v].predictions == nil {
                    ours[t]![v].predictions = predictions
                    if let labels {
                        let m = ClassificationMetrics(predictions: predictions, labels: labels)
                        ours[t]![v].f1 = m.f1
                        ours[t]![v].accuracy = m.accuracy
                    }
                }
            case let .peer(t, r):
                progress?("threads \(t), round \(r + 1)/\(repeats): peers")
                peers = merge(peers, try peer!(t, r))
            }
        }
        var rows: [Row] = []
        for t in threads {
            rows += ours[t] ?? []
            rows += peers.filter { $0.threads == t }
        }
        return Session(rows: rows, order: steps)
    }

    /// Appends `new`'s seconds to the row of `rows` with the same engine, scheme and threads (keeping the first
    /// round's predictions and metrics), or adds it.
    public static func merge(_ rows: [Row], _ new: [Row]) -> [Row] {
        var out = rows
        for n in new {
            if let i = out.firstIndex(where: { $0.engine == n.engine && $0.scheme == n.scheme && $0.threads == n.threads }) {
                out[i].seconds += n.seconds
                out[i].cpuSeconds += n.cpuSeconds
            } else {
                out.append(n)
            }
        }
        return out
    }

    /// Our scheme a peer row is compared with: FP32 with `fp32`, `quantize_dynamic` with `pytorch-dynamic`
    /// (the scheme that reproduces `torch.ao.quantization.quantize_dynamic`).
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
        /// For a peer row: our counterpart scheme (see `counterpart(ofPeerScheme:)`).
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
        if !row.isOurs, let name = counterpart(ofPeerScheme: row.scheme),
           let ours = rows.first(where: { $0.isOurs && $0.scheme == name && $0.threads == row.threads }) {
            r.ourCounterpart = name
            if ours.median > 0 { r.oursFasterBy = row.median / ours.median }
        }
        return r
    }

    /// A Markdown table: engine, scheme, threads, median seconds, ms/example, speed-up vs our FP32 (wall and CPU),
    /// how many times faster our counterpart is than a peer row, CPU seconds, F1 and flips vs our FP32.
    public static func table(_ rows: [Row]) -> String {
        let baseName = rows.first { $0.isOurs && $0.scheme == "fp32" }.map { _ in "our fp32" }
            ?? rows.first(where: \.isOurs).map { "our \($0.scheme)" } ?? "ours"
        var out = "| engine | scheme | threads | median s | ms/example | speed-up vs \(baseName) | ours faster by "
            + "| CPU s | CPU speed-up vs \(baseName) | F1 | flips vs \(baseName) |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|---|\n"
        func fmt(_ x: Double?, _ f: String) -> String { x.map { String(format: f, $0) } ?? "—" }
        for row in rows {
            let r = ratios(of: row, in: rows)
            let faster = r.oursFasterBy.map { String(format: "%.2f× (%@)", $0, r.ourCounterpart!) } ?? "—"
            out += "| \(row.engine) | \(row.scheme) | \(row.threads) | \(String(format: "%.3f", row.median)) | "
                + "\(String(format: "%.2f", row.msPerExample)) | \(fmt(r.speedupVsOurBaseline, "%.2f×")) | \(faster) | "
                + "\(String(format: "%.3f", row.cpuMedian)) | \(fmt(r.cpuSpeedupVsOurBaseline, "%.2f×")) | "
                + "\(fmt(row.f1, "%.4f")) | \(r.flipsVsOurBaseline.map(String.init) ?? "—") |\n"
        }
        return out
    }

    /// SHA-256 of the model inputs: per batch, input ids, token type ids and attention mask as little-endian
    /// int32, row-major `[batch, seq]`. `experiments/peers/qbench_peers.py` computes the same digest of its
    /// tensors, so equal digests mean both engines saw the same examples, order, tokens and padding.
    public static func inputDigest(_ batches: [BertBatch]) -> String {
        var h = SHA256()
        func feed(_ xs: [Int32]) {
            let le = xs.map { $0.littleEndian }
            le.withUnsafeBytes { h.update($0) }
        }
        for b in batches {
            feed(b.inputIds)
            feed(b.tokenTypeIds)
            feed(b.attentionMask.map { $0 != 0 ? 1 : 0 })
        }
        return h.hexDigest()
    }

    /// CPU time of this process so far (all threads), from `CLOCK_PROCESS_CPUTIME_ID`.
    public static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// The 1, 5 and 15 minute load averages from `/proc/loadavg`, or nil where there is none.
    public static func loadAverage() -> [Double]? {
        guard let s = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return nil }
        let v = s.split(separator: " ").prefix(3).compactMap { Double($0) }
        return v.count == 3 ? v : nil
    }
}
