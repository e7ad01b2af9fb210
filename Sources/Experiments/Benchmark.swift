import BERT
import Foundation
import TensorCore

/// Side-by-side timing of several model variants on the same batches.
///
/// Variants run in alternation (A B C A B C …) for each thread count, so slow drifts of a noisy machine hit
/// every variant alike; medians are reported with the ratio to the first variant.
public enum Benchmark {
    /// One variant to time: a display name and the model to run.
    public struct Variant {
        public var name: String
        public var model: BertModel
        public init(name: String, model: BertModel) {
            self.name = name
            self.model = model
        }
    }

    /// Timing of one variant at one thread count.
    public struct Row: Codable, Sendable {
        public var variant: String
        public var threads: Int
        /// Wall seconds for one pass over all batches, each repeat.
        public var seconds: [Double]
        /// Process CPU seconds (all threads) for the same passes: less sensitive than wall time to other
        /// processes competing for the cores, so a busy machine still gives comparable 1-thread ratios.
        public var cpuSeconds: [Double]
        public var examples: Int
        public var median: Double { seconds.sorted()[seconds.count / 2] }
        public var cpuMedian: Double { cpuSeconds.sorted()[cpuSeconds.count / 2] }
        public var msPerExample: Double { 1000 * median / Double(max(1, examples)) }
    }

    /// Times `variants` over `batches` `repeats` times for each thread count, after one warm-up pass each.
    public static func run(_ variants: [Variant], batches: [BertBatch], threads: [Int], repeats: Int,
                           progress: ((String) -> Void)? = nil) throws -> [Row] {
        let examples = batches.reduce(0) { $0 + $1.batch }
        var rows: [Row] = []
        for t in threads {
            Parallel.setThreads(t)
            var times = [[Double]](repeating: [], count: variants.count)
            var cpu = [[Double]](repeating: [], count: variants.count)
            for v in variants { _ = try v.model.forward(batches[0]) }  // warm-up (page in weights, scratch)
            for r in 0..<max(1, repeats) {
                for (i, v) in variants.enumerated() {
                    progress?("threads \(t), repeat \(r + 1)/\(repeats): \(v.name)")
                    let start = DispatchTime.now().uptimeNanoseconds
                    let cpuStart = processCPUSeconds()
                    for b in batches { _ = try v.model.forward(b) }
                    times[i].append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                    cpu[i].append(processCPUSeconds() - cpuStart)
                }
            }
            for (i, v) in variants.enumerated() {
                rows.append(Row(variant: v.name, threads: t, seconds: times[i], cpuSeconds: cpu[i], examples: examples))
            }
        }
        return rows
    }

    /// A Markdown table: variant, threads, median seconds, ms/example, speed-up vs the first variant at the same
    /// thread count.
    public static func table(_ rows: [Row]) -> String {
        let first = rows.first?.variant ?? "-"
        var out = "| variant | threads | median s | ms/example | speed-up vs \(first) | CPU s | CPU speed-up vs \(first) |\n"
        out += "|---|---|---|---|---|---|---|\n"
        for r in rows {
            let base = rows.first { $0.threads == r.threads }!
            out += String(format: "| %@ | %d | %.3f | %.2f | %.2fx | %.3f | %.2fx |\n", r.variant, r.threads, r.median,
                          r.msPerExample, base.median / r.median, r.cpuMedian, base.cpuMedian / r.cpuMedian)
        }
        return out
    }

    /// CPU time of this process so far (all threads), from `CLOCK_PROCESS_CPUTIME_ID`.
    public static func processCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}
