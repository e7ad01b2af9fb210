import Foundation
import RunRecords

/// What the run directory says about each cell of a plan: done (its folder), failed (its `.failed.json`), or
/// missing (never run, still running, or killed). `qbench sweep --merge` and `qbench slurm status` read it.
public struct CellState: Sendable {
    public enum State: Sendable {
        case done(host: String, finished: String)
        case failed(SweepCells.Failure)
        case missing
    }

    public var cell: SweepPlan.Cell
    public var state: State

    public var isDone: Bool { if case .done = state { return true } else { return false } }

    /// Every cell of `plan` in `runDirectory`, in plan order. A folder whose `cell.json` cannot be read counts as
    /// failed (with the reading error).
    public static func scan(_ plan: SweepPlan, runDirectory: URL) -> [CellState] {
        let fm = FileManager.default
        return plan.cells.map { cell in
            let folder = SweepCells.folder(cell.index, runDirectory: runDirectory)
            if fm.fileExists(atPath: folder.path) {
                do {
                    let r = try SweepCellRecord.read(cellFolder: folder)
                    return CellState(cell: cell, state: .done(host: r.cell.host, finished: r.cell.finished))
                } catch {
                    return CellState(cell: cell, state: .failed(.init(index: cell.index, host: "?", scheduler: nil,
                                                                      time: "?", error: "\(error)")))
                }
            }
            let failure = SweepCells.failureFile(cell.index, runDirectory: runDirectory)
            if let data = fm.contents(atPath: failure.path),
               let f = try? JSONDecoder().decode(SweepCells.Failure.self, from: data) {
                return CellState(cell: cell, state: .failed(f))
            }
            return CellState(cell: cell, state: .missing)
        }
    }

    /// One line for cells that are not done: which, why, and how to run them again.
    public static func incompleteMessage(_ states: [CellState], plan: SweepPlan, runDirectory: URL) -> String? {
        let bad = states.filter { !$0.isDone }
        guard !bad.isEmpty else { return nil }
        let list = bad.map { s -> String in
            switch s.state {
            case let .failed(f):
                let why = f.error.split(separator: "\n").first.map(String.init) ?? f.error
                return "\(s.cell.index) (\(s.cell.label); failed on \(f.host): \(why))"
            default: return "\(s.cell.index) (\(s.cell.label); missing)"
            }
        }
        let commands = bad.map { "`" + plan.cellCommand($0.cell.index, runDirectory: runDirectory).joined(separator: " ") + "`" }
        let slurm = FileManager.default.fileExists(atPath: runDirectory.appendingPathComponent("slurm").path)
            ? " (or `qbench slurm resubmit \(runDirectory.path)`)" : ""
        return "\(runDirectory.path): \(bad.count) of \(states.count) cells not done: "
            + list.joined(separator: ", ") + "; rerun with " + commands.joined(separator: " and ") + slurm
            + ", then `qbench sweep --merge \(runDirectory.path)`"
    }
}
