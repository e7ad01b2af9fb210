import ArgumentParser
import Cluster
import Experiments
import Foundation

/// `qbench slurm submit CONFIG`: write the array and merge scripts into the run directory and sbatch them.
struct SlurmSubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "submit",
        abstract: "Submit a sweep's cells as a Slurm array job (--array=0-(n-1)%K) and a merge job after them.",
        discussion: """
            Writes DIR/plan.json, DIR/slurm/cells.sbatch and DIR/slurm/merge.sbatch (DIR: --run-dir, default \
            <config output>/<run id>.cells, on a file system every node shares), submits both with sbatch --parsable \
            (the merge with --dependency=afterok:<array job>) and prints the job ids and DIR. The merged run folder \
            is DIR/<run id>/. Timed comparisons need --exclusive (or one cell per node): cells sharing a node \
            disturb each other's timings.
            """)

    @Argument(help: "Experiment file (YAML).")
    var config: String
    @Option(help: "Evaluate this model folder instead of the config's `model`.")
    var model: String?
    @Option(help: ArgumentHelp("The run directory (default: <config output>/<run id>.cells).", valueName: "DIR"))
    var runDir: String?
    @Option(help: "Slurm partition.")
    var partition: String?
    @Option(help: "Time limit of each cell (Slurm's format, e.g. 30:00 or 2-00).")
    var time: String?
    @Option(help: "CPUs of each cell (default: the config's largest thread count).")
    var cpusPerTask: Int?
    @Option(help: ArgumentHelp("Run at most K cells at once (%K of --array).", valueName: "K"))
    var arrayParallelism: Int?
    @Flag(help: "Give each cell a whole node (sbatch --exclusive): recorded, and needed for honest timings.")
    var exclusive = false
    @Flag(help: "Only write and print the scripts; submit nothing.")
    var dryRun = false
    @Flag(help: "Poll squeue until the merge job ends; exit 1 when a cell failed or is missing.")
    var wait = false
    @Option(help: ArgumentHelp("With --wait: give up after this many seconds (the jobs keep running).", valueName: "SECONDS"))
    var waitTimeout: Double?
    @Option(help: "The qbench binary the scripts run (default: this one).")
    var qbench: String?

    func validate() throws {
        if let cpusPerTask, cpusPerTask < 1 { throw ValidationError("--cpus-per-task must be ≥ 1, got \(cpusPerTask)") }
        if let arrayParallelism, arrayParallelism < 1 { throw ValidationError("--array-parallelism must be ≥ 1, got \(arrayParallelism)") }
        if dryRun && wait { throw ValidationError("--dry-run submits nothing to --wait for") }
        if waitTimeout != nil && !wait { throw ValidationError("--wait-timeout goes with --wait") }
        if let waitTimeout, !(waitTimeout > 0) { throw ValidationError("--wait-timeout must be > 0") }
        let options = SlurmOptions(partition: partition, time: time, cpusPerTask: cpusPerTask ?? 1,
                                   arrayParallelism: arrayParallelism, exclusive: exclusive)
        do { try options.validate() } catch { throw ValidationError("\(error)") }
    }

    func run() throws {
        let experiment = try Experiment.load(file: config, model: model)
        let options = SlurmOptions(partition: partition, time: time,
                                   cpusPerTask: cpusPerTask ?? experiment.config.threads.max() ?? 1,
                                   arrayParallelism: arrayParallelism, exclusive: exclusive)
        let r = try SlurmSubmission.submit(experiment, configPath: config, model: model, runDirectory: runDir.map(Sweep.absolute),
                                           options: options, qbench: qbench.map { Sweep.absolute($0).path } ?? Slurm.executablePath,
                                           dryRun: dryRun)
        if dryRun {
            for (url, text) in r.scripts { print("# \(url.path)\n\(text)") }
            print("# submit with:")
            for c in r.commands { print(c.joined(separator: " ")) }
            print("run directory: \(r.runDirectory.path) (\(r.plan.cells.count) cells; nothing submitted)")
            return
        }
        print("submitted \(r.plan.cells.count) cells as array job \(r.arrayJob ?? "?"), merge as job \(r.mergeJob ?? "?") "
              + "(after every cell succeeded)")
        print("run directory: \(r.runDirectory.path)")
        guard wait else {
            print("status: qbench slurm status \(r.runDirectory.path)")
            return
        }
        try SlurmResubmit.waitAndReport(r.runDirectory, timeout: waitTimeout)
    }
}
