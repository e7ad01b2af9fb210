import Experiments
import Foundation
import Quantization
import RunRecords
import _Support

/// `qbench sweep --merge DIR`: the run folder of a sweep that ran as cells (`SweepCells`), written exactly as a
/// one-machine sweep writes it (`RunFolder`: results, predictions, stats.h5, QAT models, manifest, citation) into
/// `DIR/<run id>/`, atomically.
///
/// Refuses, with one line and nothing written, when a cell is missing or failed (naming each and the command that
/// reruns it) or when the cells do not belong together: another run id, config sha256, model or data file hash,
/// QuantBench version or commit. The rows are tabulated by `SweepRunner.tabulate`, the function a one-machine sweep
/// uses, from the cells' measurements; ΔF1 and flips vs FP32 compare with cell 0 (the FP32 baseline) and every
/// speed-up divides cell 0's median by the row's at the same thread count. The manifest's environment is cell
/// 0's and its `cells` list where each cell ran.
public enum SweepMerge {
    /// Merges `runDirectory`; returns the run folder.
    /// - Parameter command: this command line (the manifest's `command`).
    @discardableResult
    public static func merge(runDirectory: URL, command: [String]) throws -> URL {
        let dir = runDirectory.standardizedFileURL
        let plan = try SweepPlan.require(runDirectory: dir)
        let states = CellState.scan(plan, runDirectory: dir)
        if let message = CellState.incompleteMessage(states, plan: plan, runDirectory: dir) {
            throw ExperimentError.invalid(message)
        }
        let records = try plan.cells.map { try SweepCellRecord.read(cellFolder: SweepCells.folder($0.index, runDirectory: dir)) }
        try checkTogether(records, plan: plan, runDirectory: dir)
        let experiment = try plan.loadExperiment()
        let replanned = try SweepPlan.make(experiment, configPath: plan.config, model: plan.model, run: plan.run,
                                           workingDirectory: URL(fileURLWithPath: plan.workingDirectory))
        try plan.checkSameSweep(as: replanned, file: SweepPlan.url(runDirectory: dir))
        let first = records[0]
        let threads = first.threads
        guard threads == experiment.config.threads, first.repeats == max(1, experiment.config.repeats) else {
            throw ExperimentError.invalid("\(SweepCells.folder(0, runDirectory: dir).path)/cell.json: ran threads "
                                          + "\(threads) × \(first.repeats) repeats; \(plan.config) asks for "
                                          + "\(experiment.config.threads) × \(experiment.config.repeats)")
        }

        // The rows in run order (the plan's), each with its reference-pass predictions per thread count.
        var models: [(scheme: ModelScheme, parameterBytes: Int)] = []
        var m = SweepRunner.Measurements(seconds: [], passes: [], flips: [], logitDifference: [], metrics: [])
        var training: [String: QATTrainingReport] = [:]
        var predictions: [String: [Int: PredictionSet]] = [:]
        for (cell, record) in zip(plan.cells, records) where cell.kind != "statistics" {
            let folder = SweepCells.folder(cell.index, runDirectory: dir)
            guard let row = record.row else {
                throw RunRecordError.malformed(file: folder.appendingPathComponent("cell.json").path, keyPath: "row",
                                               message: "missing; expected the measurements of \(cell.label)")
            }
            let name = row.scheme.name
            try check(row, threads: threads.count, repeats: first.repeats, file: folder.appendingPathComponent("cell.json"))
            guard [name] == cell.rows else {
                throw RunRecordError.malformed(file: folder.appendingPathComponent("cell.json").path, keyPath: "row.scheme.name",
                                               message: "'\(name)'; the plan's cell \(cell.index) is \(cell.label)")
            }
            var passes: [PredictionSet] = []
            for t in threads {
                let set = try PredictionSet.read(runFolder: folder, scheme: name, threads: t)
                guard set.predictions.count == record.examples else {
                    throw RunRecordError.badPath(path: folder.appendingPathComponent("predictions").path,
                                                 reason: "\(name) at \(t) threads has \(set.predictions.count) predictions; expected \(record.examples)")
                }
                passes.append(set)
            }
            models.append((row.scheme, row.parameterBytes))
            m.seconds.append(row.seconds)
            m.passes.append(passes)
            m.flips.append(row.flips)
            m.logitDifference.append(row.logitDifference)
            m.metrics.append(row.metrics)
            if let t = row.training { training[name] = t }
            predictions[name] = Dictionary(uniqueKeysWithValues: zip(threads, passes))
        }
        let tabulated = SweepRunner.tabulate(models, m, experiment: experiment, training: training)
        var rows = tabulated.rows
        // No speed-up between different CPU models (results.md says which rows were left out).
        let rowCPU = Dictionary(zip(plan.cells, records).flatMap { c, r in c.rows.map { ($0, r.cell.cpu) } }) { a, _ in a }
        for i in rows.indices where rowCPU[rows[i].scheme] != first.cell.cpu {
            for t in rows[i].timings.indices { rows[i].timings[t].speedup = nil }
        }
        let results = SweepResults(run: plan.run, experiment: experiment.config.name, examples: first.examples,
                                   labelled: first.labelled, threads: threads, repeats: first.repeats, schemes: rows,
                                   bootstrap: tabulated.bootstrap)
        let statisticsCell = plan.cells.first { $0.kind == "statistics" }
        let iso = ISO8601DateFormatter()
        iso.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let dates = records.flatMap { [$0.cell.started, $0.cell.finished] }.compactMap { iso.date(from: $0) }
        let outcome = SweepRunner.Outcome(
            results: results, predictions: predictions, files: first.files, started: dates.min() ?? Date(),
            finished: dates.max() ?? Date(),
            statisticsFile: statisticsCell.map { SweepCells.folder($0.index, runDirectory: dir).appendingPathComponent("stats.h5") },
            randomWeightsSeed: first.randomWeightsSeed, modelConfig: first.modelConfig)
        var manifest = try RunManifest.make(experiment: experiment, outcome: outcome, command: command,
                                            environment: first.environment, projectRoot: plan.workingDirectory)
        manifest.cells = records.map(\.cell)

        let final = dir.appendingPathComponent(plan.run)
        let fm = FileManager.default
        do {
            try AtomicFolder.create(final) { tmp in
                try fm.createDirectory(at: tmp.appendingPathComponent("predictions"), withIntermediateDirectories: true)
                if let stats = outcome.statisticsFile {
                    try fm.copyItem(at: stats, to: tmp.appendingPathComponent("stats.h5"))
                }
                for cell in plan.cells where cell.kind == "qat" {
                    let qat = tmp.appendingPathComponent("qat")
                    try fm.createDirectory(at: qat, withIntermediateDirectories: true)
                    try AtomicFolder.copy(cell.rows, from: SweepCells.folder(cell.index, runDirectory: dir).appendingPathComponent("qat"),
                                          into: qat)
                }
                try RunFolder.write(outcome: outcome, manifest: manifest, experiment: experiment, into: tmp)
            }
        } catch let SupportError.writeFailed(path, reason) {
            throw ExperimentError.badPath(path: path, reason: reason)
        }
        return final
    }

    /// Throws `RunRecordError.malformed` naming the key when a row's measurements do not have one entry per
    /// thread count (and `repeats` finite, non-negative seconds each): they come from a file.
    static func check(_ row: SweepCellRecord.Row, threads: Int, repeats: Int, file: URL) throws {
        func bad(_ key: String, _ message: String) -> RunRecordError { .malformed(file: file.path, keyPath: "row.\(key)", message: message) }
        for (key, count) in [("seconds", row.seconds.count), ("flips", row.flips.count), ("logit_difference", row.logitDifference.count)]
        where count != threads {
            throw bad(key, "\(count) entries; expected one per thread count (\(threads))")
        }
        for (i, s) in row.seconds.enumerated() {
            guard s.count == repeats else { throw bad("seconds[\(i)]", "\(s.count) passes; expected \(repeats)") }
            if let x = s.first(where: { !$0.isFinite || $0 < 0 }) { throw bad("seconds[\(i)]", "\(x); expected finite seconds ≥ 0") }
        }
        if let f = row.flips.first(where: { $0 < 0 }) { throw bad("flips", "\(f); expected counts ≥ 0") }
        if row.parameterBytes < 0 { throw bad("parameter_bytes", "\(row.parameterBytes); expected ≥ 0") }
    }

    /// Throws one line when the cells were not made by the same sweep, inputs and build.
    static func checkTogether(_ records: [SweepCellRecord], plan: SweepPlan, runDirectory: URL) throws {
        let first = records[0]
        func refuse(_ i: Int, _ what: String) -> ExperimentError {
            .invalid("\(SweepCells.folder(i, runDirectory: runDirectory).path)/cell.json: \(what); cells of different "
                     + "sweeps, inputs or builds cannot be merged into one run (rerun that cell with this run's config and build)")
        }
        for (i, r) in records.enumerated() {
            if r.cell.index != i { throw refuse(i, "records cell \(r.cell.index), expected \(i)") }
            if r.run != plan.run { throw refuse(i, "belongs to run \(r.run), the plan's run is \(plan.run)") }
            if r.configSHA256 != plan.configSHA256 {
                throw refuse(i, "made from config sha256 \(r.configSHA256.prefix(16))…, the plan's is \(plan.configSHA256.prefix(16))…")
            }
            let (e, e0) = (r.environment, first.environment)
            if e.quantbenchVersion != e0.quantbenchVersion || e.gitCommit != e0.gitCommit || e.gitDirty != e0.gitDirty {
                throw refuse(i, "made by QuantBench \(e.quantbenchVersion) at commit \(e.gitCommit)\(e.gitDirty == true ? " (dirty)" : ""), "
                             + "cell 0 by \(e0.quantbenchVersion) at \(e0.gitCommit)\(e0.gitDirty == true ? " (dirty)" : "")")
            }
            for f in first.files {
                guard let g = r.files.first(where: { $0.role == f.role && $0.name == f.name }) else {
                    throw refuse(i, "did not read \(f.role) file \(f.name), cell 0 did")
                }
                if g.sha256 != f.sha256 {
                    throw refuse(i, "read \(f.role) file \(f.name) with sha256 \(g.sha256.prefix(16))…, cell 0 with \(f.sha256.prefix(16))…")
                }
            }
            if let extra = r.files.first(where: { g in !first.files.contains { $0.role == g.role && $0.name == g.name } }) {
                throw refuse(i, "read \(extra.role) file \(extra.name), cell 0 did not")
            }
            if r.threads != first.threads || r.repeats != first.repeats || r.examples != first.examples {
                throw refuse(i, "ran \(r.examples) examples at threads \(r.threads) × \(r.repeats), cell 0 "
                             + "\(first.examples) at \(first.threads) × \(first.repeats)")
            }
        }
    }
}
