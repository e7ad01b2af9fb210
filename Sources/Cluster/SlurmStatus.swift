import Foundation
import Sweep

/// `qbench slurm status DIR`: each cell's state from its folder (done, failed, missing), with what Slurm says about
/// its latest array task (`squeue`, and `sacct` when the cluster keeps accounting), and the merge.
public enum SlurmStatus {
    public struct Line: Sendable {
        public var cell: SweepPlan.Cell
        public var state: CellState.State
        /// The latest Slurm record of the cell's array task (`12_3 RUNNING on node7`), when there is one.
        public var slurm: SlurmQueue.Entry?
    }

    public struct Report: Sendable {
        public var plan: SweepPlan
        public var lines: [Line]
        public var merged: URL?
        /// The latest merge job, as Slurm reports it.
        public var merge: SlurmQueue.Entry?
        public var mergeJob: String?

        public var text: String {
            let done = lines.filter { if case .done = $0.state { return true } else { return false } }.count
            let failed = lines.filter { if case .failed = $0.state { return true } else { return false } }.count
            var out = "run \(plan.run): \(lines.count) cells, \(done) done, \(failed) failed, \(lines.count - done - failed) not done\n"
            let width = lines.map(\.cell.label.count).max() ?? 0
            for l in lines {
                var s = String(format: "%4d  ", l.cell.index) + l.cell.label.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                switch l.state {
                case let .done(host, finished): s += "done on \(host) at \(finished)"
                case let .failed(f): s += "failed on \(f.host): " + (f.error.split(separator: "\n").first.map(String.init) ?? f.error)
                case .missing: s += "missing"
                }
                if let e = l.slurm { s += " · slurm \(e.id) \(e.state)" + (e.node.isEmpty || e.node == "(null)" ? "" : " on \(e.node)")
                    + (e.reason.isEmpty || e.reason == "None" ? "" : " (\(e.reason))") }
                out += s + "\n"
            }
            if let merged { out += "merged: \(merged.path)\n" } else if let mergeJob {
                out += "merge job \(mergeJob): " + (merge.map { "\($0.state)" + ($0.reason == "None" ? "" : " (\($0.reason))") }
                                                    ?? "no longer known to squeue") + "\n"
            }
            return out
        }
    }

    /// The report of `runDirectory` (Slurm is asked only when the directory was submitted and squeue exists).
    public static func report(runDirectory: URL) throws -> Report {
        let dir = runDirectory.standardizedFileURL
        let plan = try SweepPlan.require(runDirectory: dir)
        let jobs = try SlurmJobs.read(dir)
        let states = CellState.scan(plan, runDirectory: dir)
        var latest: [Int: SlurmQueue.Entry] = [:]
        var merge: SlurmQueue.Entry?
        if let jobs, SchedulerCommand.find("squeue") != nil {
            let ids = jobs.submissions.flatMap { [$0.arrayJob, $0.mergeJob] }.filter { !$0.isEmpty }
            var entries = try SlurmQueue.entries(ids)
            if let accounted = SlurmQueue.accounting(ids) {
                entries += accounted.filter { a in !entries.contains { $0.id == a.id } }
            }
            for s in jobs.submissions {   // later submissions win
                for e in entries where e.arrayJob == s.arrayJob { if let t = e.arrayTask { latest[t] = e } }
            }
            merge = entries.first { $0.id == jobs.submissions.last?.mergeJob }
        }
        let merged = dir.appendingPathComponent(plan.run)
        return Report(plan: plan, lines: states.map { Line(cell: $0.cell, state: $0.state, slurm: latest[$0.cell.index]) },
                      merged: FileManager.default.fileExists(atPath: merged.appendingPathComponent("manifest.json").path) ? merged : nil,
                      merge: merge, mergeJob: jobs?.submissions.last?.mergeJob)
    }
}
