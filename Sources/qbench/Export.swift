import ArgumentParser
import Foundation
import NotebookExport

/// `qbench export RUN_DIR --notebook OUT.ipynb [--markdown OUT.md]`: a run folder as a Jupyter notebook and/or
/// Markdown, with QuantBench-rendered SVG figures and Python cells that continue from the run's files.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a run folder as a Jupyter notebook (nbformat 4) and/or Markdown with SVG figures.",
        discussion: """
            Contents: the manifest summary, the results table with the published reference rows (as in results.md), \
            four SVG figures rendered by QuantBench ((a) F1 vs model size, (b) per-layer output SQNR, (c) hidden-state \
            SQNR by depth, (d) input histograms of the worst layers; (b)-(d) need stats.h5), and Python cells that \
            load results.json and stats.h5 with pandas/h5py and redraw a figure with matplotlib. \
            By default the run's manifest.json, results.json, results.md, stats.h5, experiment.yaml and citation \
            files are copied into <folder of the first output>/<run name>/ and the Python cells use that copy, so \
            the notebook keeps working when its folder is moved or committed; --no-bundle points them at RUN_DIR \
            instead. --markdown writes the SVGs beside OUT.md as <stem>-<figure>.svg. The same run folder always \
            gives the same bytes. Outputs are written atomically; on any error nothing is written.
            """)

    @Argument(help: "A run folder written by `qbench sweep`.")
    var runDir: String
    @Option(help: ArgumentHelp("Notebook to write.", valueName: "OUT.ipynb"))
    var notebook: String?
    @Option(help: ArgumentHelp("Markdown file to write (SVG figures beside it).", valueName: "OUT.md"))
    var markdown: String?
    @Flag(inversion: .prefixedNo, help: "Copy the run's files beside the output (default) or reference RUN_DIR in place.")
    var bundle = true

    func run() throws {
        let written: [String]
        do {
            written = try RunExporter.export(runFolder: runDir,
                                             options: .init(notebook: notebook, markdown: markdown, bundle: bundle))
        } catch ExportError.usage(let message) {
            throw ValidationError(message)
        }
        for path in written { print("wrote \(path)") }
    }
}
