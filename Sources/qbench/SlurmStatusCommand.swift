import ArgumentParser
import Cluster
import Foundation

/// `qbench slurm status DIR`: each cell's state (from the cell folders, and squeue / sacct when available).
struct SlurmStatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show each cell of a run directory: done, failed or missing, and its Slurm job state.")

    @Argument(help: "A run directory (of `qbench slurm submit` or `qbench sweep --run-dir`).")
    var runDir: String

    func run() throws {
        print(try SlurmStatus.report(runDirectory: Sweep.absolute(runDir)).text, terminator: "")
    }
}
