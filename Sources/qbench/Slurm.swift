import ArgumentParser
import Foundation

/// `qbench slurm`: run a sweep's cells as a Slurm job array and merge them (docs/clusters.md).
struct Slurm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a sweep on a Slurm cluster: one array task per cell, then a merge job.",
        subcommands: [SlurmSubmit.self, SlurmStatusCommand.self, SlurmResubmit.self])

    /// This binary's absolute path (what the batch scripts run; it must be on the shared file system).
    static var executablePath: String {
        let link = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe"))
        return link ?? Sweep.absolute(CommandLine.arguments[0]).path
    }
}
