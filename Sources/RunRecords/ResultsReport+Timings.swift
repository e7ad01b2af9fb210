import Foundation

extension ResultsReport {
    /// The cell that measured `row` (nil for a one-process sweep).
    static func cell(of row: String, manifest m: RunManifest) -> RunCell? {
        m.cells?.first { $0.rows.contains(row) }
    }

    /// True when `row` was timed on the same CPU model as the FP32 baseline (always, in a one-process sweep): only
    /// then does a speed-up column put the two side by side.
    static func timedLikeBaseline(_ row: String, manifest m: RunManifest) -> Bool {
        guard let cells = m.cells, let base = cells.first(where: { $0.kind == "baseline" }) else { return true }
        return cell(of: row, manifest: m)?.cpu == base.cpu
    }

    /// How each row's time was measured, under the main table: one process with the schemes in alternation, or,
    /// for a merged multi-machine run, each row's cell with its host, CPU, kernel family and whether it had the
    /// node to itself; rows from another CPU model than FP32's are named, and their speed-ups left out.
    static func timingNote(_ r: SweepResults, manifest m: RunManifest) -> String {
        guard let cells = m.cells, !cells.isEmpty else {
            return "Timings: every row in one process on \(m.environment.cpu), the schemes in alternation at each "
                + "thread count (A B C A B C …), so slow drifts of the machine hit every row alike.\n"
        }
        var out = "Timings: each row was measured by its own cell of a multi-machine run (`qbench sweep --merge`), "
            + "one process per cell; a speed-up divides FP32's median (cell 0) by the row's at the same thread count. "
            + "Cells on a shared node may disturb each other's timings; timed comparisons need exclusive nodes.\n\n"
        out += "| row | cell | host | CPU | kernel family | node |\n|---|---|---|---|---|---|\n"
        for s in r.schemes {
            guard let c = cell(of: s.scheme, manifest: m) else {
                out += "| \(s.scheme) | — | — | — | — | not recorded |\n"
                continue
            }
            let node: String
            switch c.exclusive {
            case true?: node = "exclusive"
            case false?: node = "shared"
            case nil: node = "outside a scheduler"
            }
            out += "| \(s.scheme) | \(c.index) | \(c.host) | \(c.cpu) | \(c.kernelFamily) | \(node)"
                + (c.scheduler.map { " (\($0))" } ?? "") + " |\n"
        }
        let others = r.schemes.filter { !timedLikeBaseline($0.scheme, manifest: m) }.map(\.scheme)
        if !others.isEmpty, let base = cells.first(where: { $0.kind == "baseline" }) {
            out += "\n**Speed-ups left out** for " + others.map { "`\($0)`" }.joined(separator: ", ")
                + ": timed on another CPU model than FP32 (\(base.cpu)); their seconds are not comparable with FP32's.\n"
        }
        let cpus = Set(cells.filter { $0.kind != "statistics" }.map(\.cpu))
        if cpus.count > 1 {
            out += "\nRows were timed on \(cpus.count) CPU models: compare seconds only between rows of the same CPU.\n"
        }
        return out
    }
}
