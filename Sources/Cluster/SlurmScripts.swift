import Foundation
import Sweep

/// The two batch scripts of a sweep on Slurm, written into `DIR/slurm/`: `cells.sbatch`, an array job with one task
/// per cell (`--array=0-(n-1)%K`; each task runs `qbench sweep CONFIG --run-dir DIR`, which takes its cell index
/// from `SLURM_ARRAY_TASK_ID`), and `merge.sbatch`, `qbench sweep --merge DIR`, submitted with
/// `--dependency=afterok:<array job>` and `--kill-on-invalid-dep=yes` so that it runs only when every cell succeeded
/// (and is cancelled when one failed). Logs go to `DIR/slurm/logs/`.
public enum SlurmScripts {
    /// `DIR/slurm`.
    public static func folder(_ runDirectory: URL) -> URL { runDirectory.appendingPathComponent("slurm") }
    public static func cellsScript(_ runDirectory: URL) -> URL { folder(runDirectory).appendingPathComponent("cells.sbatch") }
    public static func mergeScript(_ runDirectory: URL) -> URL { folder(runDirectory).appendingPathComponent("merge.sbatch") }
    public static func logs(_ runDirectory: URL) -> URL { folder(runDirectory).appendingPathComponent("logs") }

    /// `0-6%2` for all cells, `2,5%2` for some.
    public static func arraySpec(_ cells: [Int], total: Int, parallelism: Int?) -> String {
        let list = cells == Array(0..<total) ? "0-\(total - 1)" : cells.map(String.init).joined(separator: ",")
        return list + (parallelism.map { "%\($0)" } ?? "")
    }

    /// The array script.
    /// - Parameter qbench: the absolute path of the `qbench` binary the tasks run (on the shared file system).
    public static func cells(_ plan: SweepPlan, runDirectory: URL, options: SlurmOptions, qbench: String, name: String) -> String {
        var out = header("QuantBench sweep \(name), run \(plan.run): one array task per cell (`qbench sweep CONFIG --plan` lists them).")
        out += "#SBATCH --job-name=\(jobName(name))\n"
        out += "#SBATCH --array=\(arraySpec(Array(plan.cells.indices), total: plan.cells.count, parallelism: options.arrayParallelism))\n"
        out += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=\(options.cpusPerTask)\n"
        out += common(options, runDirectory: runDirectory, plan: plan, log: "cell-%a.out")
        if options.exclusive { out += "#SBATCH --exclusive\n" }
        out += "set -euo pipefail\n"
        out += "# The cell index comes from SLURM_ARRAY_TASK_ID.\n"
        out += "exec " + shell(plan.cellCommand(nil, runDirectory: runDirectory, executable: qbench)
                               + (options.exclusive ? ["--exclusive"] : [])) + "\n"
        return out
    }

    /// The merge script (its dependency is given to `sbatch` on the command line: the array job's id).
    public static func merge(_ plan: SweepPlan, runDirectory: URL, options: SlurmOptions, qbench: String, name: String) -> String {
        var out = header("QuantBench sweep \(name), run \(plan.run): merges the cells into \(runDirectory.path)/\(plan.run)/ once every cell succeeded.")
        out += "#SBATCH --job-name=\(jobName(name))-merge\n"
        out += "#SBATCH --ntasks=1\n#SBATCH --cpus-per-task=1\n"
        out += "#SBATCH --kill-on-invalid-dep=yes\n"
        out += common(options, runDirectory: runDirectory, plan: plan, log: "merge-%j.out")
        out += "set -euo pipefail\n"
        out += "exec " + shell([qbench, "sweep", "--merge", runDirectory.standardizedFileURL.path]) + "\n"
        return out
    }

    static func header(_ what: String) -> String {
        "#!/bin/bash\n# \(what)\n# Written by `qbench slurm submit`; see docs/clusters.md.\n"
    }

    static func common(_ options: SlurmOptions, runDirectory: URL, plan: SweepPlan, log: String) -> String {
        var out = ""
        if let p = options.partition { out += "#SBATCH --partition=\(p)\n" }
        if let t = options.time { out += "#SBATCH --time=\(t)\n" }
        out += "#SBATCH --output=\(logs(runDirectory).path)/\(log)\n"
        out += "#SBATCH --chdir=\(plan.workingDirectory)\n"
        return out
    }

    /// `qbench-<name>` with characters Slurm job names dislike replaced.
    static func jobName(_ name: String) -> String {
        "qbench-" + String(name.map { $0.isLetter || $0.isNumber || "-_.".contains($0) ? $0 : "_" })
    }

    /// One shell command line, each word single-quoted when it needs it.
    public static func shell(_ words: [String]) -> String {
        words.map { w in
            w.allSatisfy({ $0.isLetter || $0.isNumber || "/._-+=:@%,".contains($0) }) && !w.isEmpty
                ? w : "'" + w.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
