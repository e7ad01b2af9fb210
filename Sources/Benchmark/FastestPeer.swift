import Foundation

/// The fastest peer configuration of one precision at one thread count, and how our counterpart compares: the
/// number a user who picks the best PyTorch or ONNX Runtime set-up would see.
///
///     fastest = the peer row of that precision with the smallest median wall seconds
///     oursVsFastestPeer = fastest.median / our counterpart's median    (> 1: ours is faster)
public struct FastestPeer: Codable, Sendable, Equatable {
    public var threads: Int
    /// `int8` (competes with our `pytorch-dynamic`) or `fp32` (with our `fp32`).
    public var precision: String
    /// `pytorch quantize_dynamic [onednn]`.
    public var peer: String
    /// Its protocol name (`pytorch-dynamic-onednn`), when it came from the peer process.
    public var config: String?
    public var medianSeconds: Double
    public var msPerExample: Double
    /// Our counterpart scheme, and its median when we timed it at this thread count.
    public var ours: String
    public var ourMedianSeconds: Double?
    public var ourMsPerExample: Double?
    /// fastest peer median / our median; nil without our counterpart.
    public var oursVsFastestPeer: Double?

    enum CodingKeys: String, CodingKey {
        case threads, precision, peer, config, medianSeconds = "median_seconds", msPerExample = "ms_per_example"
        case ours, ourMedianSeconds = "our_median_seconds", ourMsPerExample = "our_ms_per_example"
        case oursVsFastestPeer = "ours_vs_fastest_peer"
    }

    /// The precisions in the order the table shows them.
    public static let precisions = ["int8", "fp32"]

    /// For each thread count of `rows` (in order of appearance) and each precision with at least one timed peer
    /// row, the fastest. Ties go to the row listed first.
    public static func select(_ rows: [Benchmark.Row]) -> [FastestPeer] {
        var threads: [Int] = []
        for r in rows where !threads.contains(r.threads) { threads.append(r.threads) }
        var out: [FastestPeer] = []
        for t in threads {
            for p in precisions {
                let candidates = rows.filter { !$0.isOurs && $0.threads == t && !$0.seconds.isEmpty && precision(of: $0) == p }
                guard var best = candidates.first else { continue }
                for c in candidates.dropFirst() where c.median < best.median { best = c }
                let oursName = p == "int8" ? "pytorch-dynamic" : "fp32"
                let ours = rows.first { $0.isOurs && $0.threads == t && $0.scheme == oursName && !$0.seconds.isEmpty }
                out.append(FastestPeer(
                    threads: t, precision: p, peer: best.displayName, config: best.config, medianSeconds: best.median,
                    msPerExample: best.msPerExample, ours: oursName, ourMedianSeconds: ours?.median, ourMsPerExample: ours?.msPerExample,
                    oursVsFastestPeer: ours.flatMap { $0.median > 0 ? best.median / $0.median : nil }))
            }
        }
        return out
    }

    /// A peer row's precision: its own, else from its scheme (`quantize_dynamic` → int8, `fp32` → fp32).
    static func precision(of row: Benchmark.Row) -> String? {
        if let p = row.precision { return p }
        switch row.scheme {
        case "quantize_dynamic": return "int8"
        case "fp32": return "fp32"
        default: return nil
        }
    }
}
