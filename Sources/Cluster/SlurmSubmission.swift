import Experiments
import Foundation
import RunRecords
import Sweep
import _Support

/// `qbench slurm submit` / `resubmit` / `--wait`: writes the plan and the two batch scripts into the run directory
/// (`SlurmScripts`), submits them with `sbatch --parsable` (the merge with `--dependency=afterok:<array job>`),
/// records the job ids in `DIR/slurm/jobs.json`, and can poll `squeue` until the jobs are over.
public enum SlurmSubmission {
    /// What was written and submitted.
    public struct Result: Sendable {
        public var runDirectory: URL
        public var plan: SweepPlan
        /// The scripts (path, text).
        public var scripts: [(URL, String)]
        /// The cells submitted (all of them on `submit`, the missing ones on `resubmit`).
        public var cells: [Int]
        /// nil on a dry run (or when only the merge was resubmitted: `arrayJob`).
        public var arrayJob: String?
        public var mergeJob: String?
        /// The `sbatch` command lines (for a dry run to print).
        public var commands: [[String]]
    }

    /// The default run directory: `<config output>/<run id>.cells`.
    public static func defaultRunDirectory(_ experiment: Experiment, run: String, workingDirectory: URL) -> URL {
        let o = experiment.config.output
        let output = o.hasPrefix("/") ? URL(fileURLWithPath: o) : workingDirectory.appendingPathComponent(o)
        return output.appendingPathComponent("\(run).cells").standardizedFileURL
    }

    /// Plans `experiment`, writes `DIR/plan.json` and the scripts, and (unless `dryRun`) submits them.
    /// - Throws: `ClusterError` when `DIR` was already submitted or sbatch fails; `ExperimentError` for a plan.
    public static func submit(_ experiment: Experiment, configPath: String, model: String?, runDirectory: URL?,
                              options: SlurmOptions, qbench: String, dryRun: Bool,
                              workingDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)) throws -> Result {
        try options.validate()
        let run = RunFolder.runID(name: experiment.config.name, date: Date())
        let dir = (runDirectory ?? defaultRunDirectory(experiment, run: run, workingDirectory: workingDirectory)).standardizedFileURL
        if try SlurmJobs.read(dir) != nil {
            throw ClusterError.runDirectory(path: dir.path, message: "already submitted (slurm/jobs.json); "
                                            + "`qbench slurm status \(dir.path)` shows it, `qbench slurm resubmit \(dir.path)` reruns missing cells")
        }
        if !dryRun, SchedulerCommand.find("sbatch") == nil {
            throw ClusterError.scheduler(command: "sbatch", message: "not found on PATH (is this a Slurm login node?); --dry-run only writes the scripts")
        }
        let plan = try SweepPlan.make(experiment, configPath: configPath, model: model, run: run,
                                      workingDirectory: workingDirectory).establish(in: dir)
        let name = experiment.config.name
        let cells = SlurmScripts.cells(plan, runDirectory: dir, options: options, qbench: qbench, name: name)
        let merge = SlurmScripts.merge(plan, runDirectory: dir, options: options, qbench: qbench, name: name)
        try FileManager.default.createDirectory(at: SlurmScripts.logs(dir), withIntermediateDirectories: true)
        for (url, text) in [(SlurmScripts.cellsScript(dir), cells), (SlurmScripts.mergeScript(dir), merge)] {
            try AtomicFile.write(Data(text.utf8), to: url.path)
            chmod(url.path, 0o755)
        }
        var result = Result(runDirectory: dir, plan: plan,
                            scripts: [(SlurmScripts.cellsScript(dir), cells), (SlurmScripts.mergeScript(dir), merge)],
                            cells: Array(plan.cells.indices), arrayJob: nil, mergeJob: nil,
                            commands: [["sbatch", "--parsable", SlurmScripts.cellsScript(dir).path],
                                       ["sbatch", "--parsable", "--dependency=afterok:<array job>", SlurmScripts.mergeScript(dir).path]])
        guard !dryRun else { return result }
        var jobs = SlurmJobs(options: options, qbench: qbench, submissions: [])
        try sbatch(cells: nil, dependency: [], runDirectory: dir, into: &result, jobs: &jobs)
        return result
    }

    /// Submits again the cells of `DIR` that are neither done nor queued or running, and a new merge job.
    /// - Throws: `ClusterError.runDirectory` when the directory was never submitted or nothing is left to do.
    public static func resubmit(runDirectory: URL) throws -> Result {
        let dir = runDirectory.standardizedFileURL
        let plan = try SweepPlan.require(runDirectory: dir)
        guard var jobs = try SlurmJobs.read(dir) else {
            throw ClusterError.runDirectory(path: dir.path, message: "never submitted to Slurm (no slurm/jobs.json); use `qbench slurm submit`")
        }
        if FileManager.default.fileExists(atPath: dir.appendingPathComponent(plan.run).path) {
            throw ClusterError.runDirectory(path: dir.path, message: "already merged into \(dir.appendingPathComponent(plan.run).path)")
        }
        let queue = try SlurmQueue.entries(jobs.submissions.flatMap { [$0.arrayJob, $0.mergeJob] }.filter { !$0.isEmpty })
        let active = queue.filter(\.isActive)
        let queued = Set(active.compactMap(\.arrayTask))
        let states = CellState.scan(plan, runDirectory: dir)
        let missing = states.filter { !$0.isDone && !queued.contains($0.cell.index) }.map(\.cell.index)
        let activeMerge = active.contains { e in jobs.submissions.contains { $0.mergeJob == e.id } }
        if missing.isEmpty && (activeMerge || !states.allSatisfy(\.isDone)) {
            throw ClusterError.runDirectory(path: dir.path, message: "nothing to resubmit: every cell is done or still queued ("
                                            + "`qbench slurm status \(dir.path)`)")
        }
        var result = Result(runDirectory: dir, plan: plan, scripts: [], cells: missing, arrayJob: nil, mergeJob: nil, commands: [])
        // The new merge also waits for the earlier array tasks still queued, so it sees their cells.
        let stillRunning = Array(Set(active.filter { $0.arrayTask != nil }.map(\.arrayJob))).sorted()
        try sbatch(cells: missing, dependency: stillRunning, runDirectory: dir, into: &result, jobs: &jobs)
        return result
    }

    /// Submits the array (all cells when `cells` is nil, none when empty) and the merge after it (and after the
    /// earlier array jobs `dependency`), recording each id in `jobs.json` as soon as Slurm gave it, so that a
    /// failure between the two submissions leaves the array visible to `status` and `resubmit`.
    static func sbatch(cells: [Int]?, dependency: [String], runDirectory dir: URL, into result: inout Result,
                       jobs: inout SlurmJobs) throws {
        var array = ""
        if cells?.isEmpty != true {
            var args = ["--parsable"]
            if let cells {
                args.append("--array=" + SlurmScripts.arraySpec(cells, total: result.plan.cells.count,
                                                                parallelism: jobs.options.arrayParallelism))
            }
            args.append(SlurmScripts.cellsScript(dir).path)
            array = try jobID(SchedulerCommand.checked("sbatch", args), command: "sbatch " + args.joined(separator: " "))
            result.commands.append(["sbatch"] + args)
            result.arrayJob = array
        }
        jobs.submissions.append(.init(arrayJob: array, cells: result.cells, mergeJob: "", submitted: RunManifest.iso8601(Date())))
        try jobs.write(dir)
        let after = (array.isEmpty ? [] : ["afterok:\(array)"]) + dependency.map { "afterany:\($0)" }
        var args = ["--parsable"] + (after.isEmpty ? [] : ["--dependency=" + after.joined(separator: ",")])
        args.append(SlurmScripts.mergeScript(dir).path)
        let merge = try jobID(SchedulerCommand.checked("sbatch", args), command: "sbatch " + args.joined(separator: " "))
        result.commands.append(["sbatch"] + args)
        result.mergeJob = merge
        jobs.submissions[jobs.submissions.count - 1].mergeJob = merge
        try jobs.write(dir)
    }

    /// The job id of `sbatch --parsable` output (`12` or `12;cluster`).
    static func jobID(_ output: String, command: String) throws -> String {
        let id = output.split(separator: "\n").last.map { String($0.split(separator: ";").first ?? "") } ?? ""
        guard !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw ClusterError.scheduler(command: command, message: "unexpected output '\(output.trimmingCharacters(in: .whitespacesAndNewlines))'; expected a job id")
        }
        return id
    }

    /// Polls `squeue` every `interval` seconds until none of the run directory's jobs is pending or running, then
    /// returns the merged run folder.
    /// - Throws: `ClusterError.runDirectory` naming the cells that are not done and how to rerun them (or the
    ///   merge job's log when every cell is done), or when `timeout` seconds passed first.
    @discardableResult
    public static func wait(runDirectory: URL, timeout: Double?, interval: Double = 2,
                            progress: ((String) -> Void)? = nil) throws -> URL {
        let dir = runDirectory.standardizedFileURL
        let plan = try SweepPlan.require(runDirectory: dir)
        guard let jobs = try SlurmJobs.read(dir) else {
            throw ClusterError.runDirectory(path: dir.path, message: "never submitted to Slurm (no slurm/jobs.json)")
        }
        let ids = jobs.submissions.flatMap { [$0.arrayJob, $0.mergeJob] }.filter { !$0.isEmpty }
        let start = Date()
        var last = ""
        while true {
            let active = try SlurmQueue.entries(ids).filter(\.isActive)
            if active.isEmpty { break }
            let summary = Dictionary(grouping: active, by: \.state).map { "\($0.value.count) \($0.key.lowercased())" }.sorted()
                .joined(separator: ", ")
            if summary != last { progress?(summary); last = summary }
            if let timeout, Date().timeIntervalSince(start) > timeout {
                throw ClusterError.runDirectory(path: dir.path, message: "jobs still queued or running after \(Int(timeout)) s ("
                                                + "\(summary)); they were not cancelled: `qbench slurm status \(dir.path)`")
            }
            Thread.sleep(forTimeInterval: interval)
        }
        let merged = dir.appendingPathComponent(plan.run)
        if FileManager.default.fileExists(atPath: merged.appendingPathComponent("manifest.json").path) { return merged }
        let states = CellState.scan(plan, runDirectory: dir)
        if let message = CellState.incompleteMessage(states, plan: plan, runDirectory: dir) {
            throw ClusterError.invalid("not merged: " + message)
        }
        let merge = jobs.submissions.last?.mergeJob ?? "?"
        let log = SlurmScripts.logs(dir).appendingPathComponent("merge-\(merge).out")
        let tail = (try? String(contentsOf: log, encoding: .utf8))?.split(separator: "\n").last.map(String.init) ?? "no log"
        throw ClusterError.runDirectory(path: dir.path, message: "every cell is done but the merge job \(merge) did not "
                                        + "write \(merged.lastPathComponent): \(tail) (\(log.path)); run `qbench sweep --merge \(dir.path)`")
    }
}
