import ArgumentParser
import Experiments
import Foundation
import RunRecords
import Sweep

/// `qbench sweep` as cells: `--plan`, `--run-dir DIR [--cell I]` and `--merge DIR` (docs/clusters.md).
extension Sweep {
    func validateCellOptions() throws {
        if merge != nil {
            if config != nil { throw ValidationError("--merge DIR takes no experiment file (DIR/plan.json names it)") }
            if plan || cell != nil || runDir != nil || dryRun || exclusive || model != nil || output != nil {
                throw ValidationError("--merge DIR cannot be combined with other options")
            }
            return
        }
        if config == nil { throw ValidationError("missing the experiment file (or --merge DIR)") }
        if json && !plan { throw ValidationError("--json goes with --plan") }
        if plan && (cell != nil || exclusive || dryRun || output != nil) {
            throw ValidationError("--plan only lists the cells: it takes --json, --model and --run-dir")
        }
        if !plan && runDir == nil && (cell != nil || exclusive) {
            throw ValidationError("--cell and --exclusive need --run-dir DIR")
        }
        if runDir != nil && (dryRun || output != nil) {
            throw ValidationError("--run-dir runs one cell into DIR/cells/: --dry-run and --output do not apply")
        }
        if let cell, cell < 0 { throw ValidationError("--cell must be ≥ 0, got \(cell)") }
    }

    static func absolute(_ path: String) -> URL {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return (path.hasPrefix("/") ? URL(fileURLWithPath: path) : cwd.appendingPathComponent(path)).standardizedFileURL
    }

    func runPlan(_ config: String) throws {
        let experiment = try Experiment.load(file: config, model: model)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        var plan = try SweepPlan.make(experiment, configPath: config, model: model,
                                      run: RunFolder.runID(name: experiment.config.name, date: Date()), workingDirectory: cwd)
        let dir = runDir.map(Self.absolute)
        if let dir { plan = try plan.establish(in: dir) }
        if json {
            print(String(decoding: try RunManifest.encoder.encode(plan), as: UTF8.self))
            return
        }
        print("\(config): \(plan.cells.count) cells; run id \(plan.run)"
              + (dir.map { " (fixed in \(SweepPlan.url(runDirectory: $0).path))" }
                  ?? " (fixed when a run directory gets its plan: --plan --run-dir DIR, or the first cell)"))
        let width = plan.cells.map(\.kind.count).max() ?? 0
        for c in plan.cells {
            print(String(format: "%4d  ", c.index) + c.kind.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + c.label)
        }
        let example = plan.cellCommand(nil, runDirectory: dir ?? URL(fileURLWithPath: "/DIR")).joined(separator: " ")
        print("run a cell: \(example.replacingOccurrences(of: "/DIR", with: "DIR")) --cell I; then: qbench sweep --merge "
              + (dir?.path ?? "DIR"))
    }

    func runCell(_ config: String, runDir: String) throws {
        let index: Int
        do { index = try SweepCells.index(option: cell) } catch { throw ValidationError("\(error)") }
        let dir = Self.absolute(runDir)
        let experiment = try Experiment.load(file: config, model: model)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let plan = try SweepPlan.make(experiment, configPath: config, model: model,
                                      run: RunFolder.runID(name: experiment.config.name, date: Date()), workingDirectory: cwd)
            .establish(in: dir)
        guard plan.cells.indices.contains(index) else {
            throw ValidationError("cell \(index) does not exist: \(config) has \(plan.cells.count) cells (0–\(plan.cells.count - 1))")
        }
        let bar = ProgressBar(label: "cell \(index)")
        let folder = try SweepCells.run(plan, experiment: experiment, index: index, runDirectory: dir, exclusive: exclusive,
                                        command: CommandLine.arguments) { label, done, total in
            bar.label = label
            bar.update(done, total)
        }
        print("cell \(index) (\(plan.cells[index].label)) of \(plan.run): wrote \(folder.path)")
    }

    func runMerge(_ dir: String) throws {
        let folder = try SweepMerge.merge(runDirectory: Self.absolute(dir), command: CommandLine.arguments)
        if let md = try? String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8) { print(md) }
        print("wrote \(folder.path)")
    }
}
