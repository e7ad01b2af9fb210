import ArgumentParser
import Experiments
import Foundation
import Sweep
import TensorCore

/// `qbench sweep CONFIG`: run an experiment file and write its run folder.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment file (FP32 baseline + every scheme) and write runs/<name>-<UTC timestamp>/.",
        discussion: """
            Writes results.json, results.csv, results.md, manifest.json, CITATION.cff, citation.bib, the experiment \
            file and predictions/<scheme>.threads-<n>.jsonl, atomically (a temporary folder renamed on success). \
            The config is validated strictly first: an unknown key, a wrong type, an unknown scheme or a missing \
            model path is reported with the file, key and expected type, and nothing is written. \
            Keys: see docs/experiments.md. \
            A sweep can also run as independent cells on several machines (docs/clusters.md): `--plan` lists them, \
            `--run-dir DIR --cell I` runs one into DIR/cells/I/, `--merge DIR` writes the run folder DIR/<run id>/.
            """)

    @Argument(help: "Experiment file (YAML), e.g. experiments/mrpc-tutorial.yaml (not with --merge).")
    var config: String?
    @Option(help: "Evaluate this model folder instead of the config's `model` (recorded in the manifest).")
    var model: String?
    @Option(help: "Write the run folder under this folder instead of the config's `output`.")
    var output: String?
    @Option(help: "FP32 numerics: reproducible (same bits on every CPU and thread count) or fast (OpenBLAS); replaces the config's `numerics` (default reproducible).")
    var numerics: NumericsMode?
    @Flag(help: "Validate the config and list the schemes it would run, without running anything.")
    var dryRun = false
    @Flag(help: "List the sweep's independent cells (index, kind, rows) and the run id; with --run-dir, write DIR/plan.json.")
    var plan = false
    @Flag(help: "With --plan: print the plan as JSON.")
    var json = false
    @Option(help: ArgumentHelp("Run only this cell into DIR/cells/I/ (default: $SLURM_ARRAY_TASK_ID or $JOB_COMPLETION_INDEX).",
                               valueName: "I"))
    var cell: Int?
    @Option(help: ArgumentHelp("The run directory the cells of a multi-machine sweep share.", valueName: "DIR"))
    var runDir: String?
    @Flag(help: "With --run-dir: record that this cell had its node to itself (the scheduler was asked for it).")
    var exclusive = false
    @Option(help: ArgumentHelp("Merge the cells of DIR into the run folder DIR/<run id>/.", valueName: "DIR"))
    var merge: String?

    func validate() throws { try validateCellOptions() }
    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        if let merge { return try runMerge(merge) }
        guard let config else { throw ValidationError("missing the experiment file") }
        if plan { return try runPlan(config) }
        if let runDir { return try runCell(config, runDir: runDir) }
        var experiment = try Experiment.load(file: config, model: model)
        if let output { experiment.config.output = output }
        if let numerics { experiment.config.numerics = numerics }
        experiment.allowNonFinite = nonFinite.allowNonFinite
        if dryRun {
            print("\(config): valid; \(experiment.schemes.count) schemes: "
                  + experiment.schemes.map(\.name).joined(separator: ", ")
                  + (experiment.qat.isEmpty ? "" : "; \(experiment.qat.count) QAT row(s): "
                     + experiment.qat.map(\.name).joined(separator: ", ")))
            return
        }
        let bar = ProgressBar(label: "sweep")
        let folder = try RunFolder.runAndWrite(experiment, command: CommandLine.arguments) { label, done, total in
            bar.label = label
            bar.update(done, total)
        }
        if let md = try? String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8) {
            print(md)
        }
        print("wrote \(folder.path)")
    }
}
