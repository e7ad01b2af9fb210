import ArgumentParser
import Cluster
import Foundation

/// `qbench slurm resubmit DIR`: submit again only the cells that are neither done nor queued, and a new merge.
struct SlurmResubmit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "resubmit",
        abstract: "Resubmit the missing or failed cells of a run directory (and a merge job after them).")

    @Argument(help: "A run directory of `qbench slurm submit`.")
    var runDir: String
    @Flag(help: "Poll squeue until the merge job ends; exit 1 when a cell failed or is missing.")
    var wait = false
    @Option(help: ArgumentHelp("With --wait: give up after this many seconds (the jobs keep running).", valueName: "SECONDS"))
    var waitTimeout: Double?

    func validate() throws {
        if waitTimeout != nil && !wait { throw ValidationError("--wait-timeout goes with --wait") }
        if let waitTimeout, !(waitTimeout > 0) { throw ValidationError("--wait-timeout must be > 0") }
    }

    func run() throws {
        let r = try SlurmSubmission.resubmit(runDirectory: Sweep.absolute(runDir))
        if let array = r.arrayJob {
            print("resubmitted cells \(r.cells.map(String.init).joined(separator: ", ")) as array job \(array), "
                  + "merge as job \(r.mergeJob ?? "?")")
        } else {
            print("every cell is done: submitted the merge as job \(r.mergeJob ?? "?")")
        }
        print("run directory: \(r.runDirectory.path)")
        if wait { try Self.waitAndReport(r.runDirectory, timeout: waitTimeout) }
    }

    /// `--wait` of submit and resubmit: poll, then print the merged folder (or throw naming the cells).
    static func waitAndReport(_ dir: URL, timeout: Double?) throws {
        let merged = try SlurmSubmission.wait(runDirectory: dir, timeout: timeout) { summary in
            FileHandle.standardError.write(Data("waiting: \(summary)\n".utf8))
        }
        print("merged: \(merged.path)")
    }
}
