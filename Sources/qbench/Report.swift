import ArgumentParser
import Experiments
import Foundation
import RunRecords

/// `qbench report RUN_DIR`: print a run's Markdown report, rendered again from its results.json and manifest.json.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the Markdown report of a run folder, rendered from its results.json and manifest.json.",
        discussion: "The run folder is not modified; redirect the output to keep a copy.")

    @Argument(help: "A run folder written by `qbench sweep`.")
    var runDir: String

    func run() throws {
        print(try ResultsReport.markdown(runFolder: URL(fileURLWithPath: runDir)), terminator: "")
    }
}
