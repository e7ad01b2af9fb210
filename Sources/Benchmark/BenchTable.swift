import Foundation

extension Benchmark {
    /// A Markdown table: engine, scheme (with a peer's variant), threads, median seconds, ms/example, first timed
    /// pass / median, speed-up vs our FP32 (wall and CPU), how many times faster our counterpart is than a peer
    /// row, CPU seconds, F1 and flips vs our FP32.
    public static func table(_ rows: [Row]) -> String {
        let baseName = rows.first { $0.isOurs && $0.scheme == "fp32" }.map { _ in "our fp32" }
            ?? rows.first(where: \.isOurs).map { "our \($0.scheme)" } ?? "ours"
        var out = "| engine | scheme | threads | median s | ms/example | first/median | speed-up vs \(baseName) "
            + "| ours faster by | CPU s | CPU speed-up vs \(baseName) | F1 | flips vs \(baseName) |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for row in rows {
            let r = ratios(of: row, in: rows)
            let faster = r.oursFasterBy.map { String(format: "%.2f× (%@)", $0, r.ourCounterpart!) } ?? "—"
            out += "| \(row.engine) | \(row.displayScheme) | \(row.threads) | \(String(format: "%.3f", row.median)) | "
                + "\(String(format: "%.2f", row.msPerExample)) | \(fmt(row.firstPassOverMedian, "%.2f")) | "
                + "\(fmt(r.speedupVsOurBaseline, "%.2f×")) | \(faster) | "
                + "\(String(format: "%.3f", row.cpuMedian)) | \(fmt(r.cpuSpeedupVsOurBaseline, "%.2f×")) | "
                + "\(fmt(row.f1, "%.4f")) | \(r.flipsVsOurBaseline.map(String.init) ?? "—") |\n"
        }
        return out
    }

    /// A Markdown table of the fastest peer configuration per thread count and precision, with our counterpart's
    /// ms/example and "ours vs fastest peer" (fastest peer median / ours; > 1: ours is faster). Empty for none.
    public static func fastestPeerTable(_ fastest: [FastestPeer]) -> String {
        guard !fastest.isEmpty else { return "" }
        var out = "| threads | precision | fastest peer | its ms/example | ours | our ms/example | ours vs fastest peer |\n"
        out += "|---|---|---|---|---|---|---|\n"
        for f in fastest {
            out += "| \(f.threads) | \(f.precision) | \(f.peer) | \(String(format: "%.2f", f.msPerExample)) | \(f.ours) | "
                + "\(fmt(f.ourMsPerExample, "%.2f")) | \(fmt(f.oursVsFastestPeer, "%.2f×")) |\n"
        }
        return out
    }

    /// One line on warmth: the range of first/median over the rows that have it, and the rows whose first timed
    /// pass was more than `slowFirst` × their median (still paying for start-up, or disturbed); nil without ratios.
    public static func warmthLine(_ rows: [Row], slowFirst: Double = 1.10) -> String? {
        let rated = rows.compactMap { r in r.firstPassOverMedian.map { (r, $0) } }
        guard let lo = rated.map(\.1).min(), let hi = rated.map(\.1).max() else { return nil }
        var line = "first timed pass / median: \(String(format: "%.2f", lo))–\(String(format: "%.2f", hi)) over "
            + "\(rated.count) rows"
        let slow = rated.filter { $0.1 > slowFirst }
        if slow.isEmpty {
            line += " (none above \(String(format: "%.2f", slowFirst)): warm)"
        } else {
            line += "; above \(String(format: "%.2f", slowFirst)): "
                + slow.map { "\($0.0.displayName) at \($0.0.threads) threads (\(String(format: "%.2f", $0.1)))" }
                    .joined(separator: ", ")
                + " — not warm or disturbed; raise --warmup or --repeats"
        }
        return line
    }

    /// `<configuration>: <reason>` lines (`onnxruntime fp32 [fused]: not available: …`), one per peer
    /// configuration not timed.
    public static func unavailableLines(_ unavailable: [PeerUnavailable]) -> [String] {
        unavailable.map { "\($0.displayName): \($0.reason)" }
    }

    static func fmt(_ x: Double?, _ f: String) -> String { x.map { String(format: f, $0) } ?? "—" }
}
