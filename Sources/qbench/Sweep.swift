import ArgumentParser
import Experiments
import Foundation
import Sweep

/// `qbench sweep CONFIG`: run an experiment file and write its run folder.
struct Sweep: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run an experiment file (FP32 baseline + every scheme) and write runs/<name>-<UTC timestamp>/.",
        discussion: """
            Writes results.json, results.csv, results.md, manifest.json, CITATION.cff, citation.bib, the experiment \
            file and predictions/<scheme>.threads-<n>.jsonl, atomically (a temporary folder renamed on success). \
            The config is validated strictly first: an unknown key, a wrong type, an unknown scheme or a missing \
            model path is reported with the file, key and expected type, and nothing is written. \
            Keys: see docs/experiments.md.
            """)

    @Argument(help: "Experiment file (YAML), e.g. experiments/mrpc-tutorial.yaml.")
    var config: String
    @Option(help: "Evaluate this model folder instead of the config's `model` (recorded in the manifest).")
    var model: String?
    @Option(help: "Write the run folder under this folder instead of the config's `output`.")
    var output: String?
    @Flag(help: "Validate the config and list the schemes it would run, without running anything.")
    var dryRun = false
    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        var experiment = try Experiment.load(file: config, model: model)
        if let output { experiment.config.output = output }
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
