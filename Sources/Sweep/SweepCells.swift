import Checkpoints
import Experiments
import Foundation
import RunRecords
import TensorCore
import _Support

/// Runs one cell of a `SweepPlan` and writes `DIR/cells/<index>/` atomically (a temporary folder in this host's
/// staging folder `DIR/cells/.staging-<host>/`, renamed into place when everything succeeded). A cell that fails
/// leaves `DIR/cells/<index>.failed.json` (the error, host and time) instead, removed when the cell later succeeds;
/// a killed cell leaves nothing (its temporary folder is removed by the next cell on that host).
public enum SweepCells {
    /// The environment variables a cell index is taken from when `--cell` is not given, in order.
    public static let indexVariables = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"]

    /// `DIR/cells`.
    public static func cellsDirectory(_ runDirectory: URL) -> URL { runDirectory.appendingPathComponent("cells") }

    /// `DIR/cells/<index>`.
    public static func folder(_ index: Int, runDirectory: URL) -> URL {
        cellsDirectory(runDirectory).appendingPathComponent(String(index))
    }

    /// `DIR/cells/<index>.failed.json`.
    public static func failureFile(_ index: Int, runDirectory: URL) -> URL {
        cellsDirectory(runDirectory).appendingPathComponent("\(index).failed.json")
    }

    /// This host's staging folder for temporaries, `DIR/cells/.staging-<host>`.
    static func stagingDirectory(_ runDirectory: URL) -> URL {
        cellsDirectory(runDirectory).appendingPathComponent(".staging-\(RunCell.hostName())")
    }

    /// The index from `--cell`, else from the first of `indexVariables` that is set.
    /// - Throws: `ExperimentError.invalid` naming the variable when its value is not an integer, or when none is set.
    public static func index(option: Int?, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Int {
        if let option { return option }
        for name in indexVariables {
            guard let value = environment[name] else { continue }
            guard let i = Int(value.trimmingCharacters(in: .whitespaces)), i >= 0 else {
                throw ExperimentError.invalid("\(name)='\(value)' is not a cell index; expected an integer ≥ 0")
            }
            return i
        }
        throw ExperimentError.invalid("no cell index: pass --cell I, or run as a Slurm array task (SLURM_ARRAY_TASK_ID) "
                                      + "or a Kubernetes Indexed Job pod (JOB_COMPLETION_INDEX)")
    }

    /// Why a cell failed (`DIR/cells/<index>.failed.json`).
    public struct Failure: Codable, Sendable {
        public var index: Int
        public var host: String
        public var scheduler: String?
        public var time: String
        public var error: String
    }

    /// Runs cell `index` of `plan` (whose experiment is `experiment`) and writes its folder; returns it.
    /// - Parameters:
    ///   - exclusive: the scheduler was asked for the whole node (recorded in the cell and the merged manifest).
    ///   - command: this command line, recorded in the statistics cell's `stats.h5`.
    /// - Throws: `ExperimentError.invalid` for an index out of range or a cell already done; any error of the
    ///   run (then `<index>.failed.json` is written and the error rethrown).
    @discardableResult
    public static func run(_ plan: SweepPlan, experiment: Experiment, index: Int, runDirectory: URL, exclusive: Bool,
                           command: [String], progress: SweepRunner.Progress? = nil) throws -> URL {
        guard plan.cells.indices.contains(index) else {
            throw ExperimentError.invalid("cell \(index) does not exist: the sweep \(plan.config) has \(plan.cells.count) "
                                          + "cells (0–\(plan.cells.count - 1); see `qbench sweep CONFIG --plan`)")
        }
        let final = folder(index, runDirectory: runDirectory)
        if FileManager.default.fileExists(atPath: final.path) {
            throw ExperimentError.invalid("\(final.path) exists: cell \(index) is already done; remove that folder to run it again")
        }
        do {
            try AtomicFolder.create(final, stagingDirectory: stagingDirectory(runDirectory)) { tmp in
                try measure(plan.cells[index], plan: plan, experiment: experiment, into: tmp, exclusive: exclusive,
                            command: command, progress: progress)
            }
            try? FileManager.default.removeItem(at: failureFile(index, runDirectory: runDirectory))
            return final
        } catch {
            recordFailure(index, error: error, runDirectory: runDirectory)
            if case let SupportError.writeFailed(path, reason) = error { throw ExperimentError.badPath(path: path, reason: reason) }
            throw error
        }
    }

    /// The cell's work: hash the inputs, build its model(s), measure, write `cell.json` and its files into `folder`.
    static func measure(_ cell: SweepPlan.Cell, plan: SweepPlan, experiment: Experiment, into folder: URL,
                        exclusive: Bool, command: [String], progress: SweepRunner.Progress?) throws {
        let started = Date()
        // Every phase runs in the experiment's numerics, as in `SweepRunner.run`.
        let savedNumerics = Numerics.mode
        Numerics.setMode(experiment.numerics)
        defer { Numerics.setMode(savedNumerics) }
        let environment = RunEnvironment.capture(numerics: experiment.numerics)
        let files = try SweepRunner.hashInputs(experiment)
        let inputs = try SweepRunner.Inputs(experiment)
        let threads = experiment.config.threads
        let repeats = max(1, experiment.config.repeats)
        var row: SweepCellRecord.Row?
        var models: [SweepRunner.RunModel] = []

        switch cell.kind {
        case "statistics":
            guard let request = experiment.config.statistics else {
                throw ExperimentError.invalid("cell \(cell.index) is the statistics cell, but \(plan.config) asks for none")
            }
            let all = try SweepRunner.quantize(experiment, inputs: inputs, progress: progress)
            Parallel.setThreads(threads[0])
            try SweepStatistics.write(to: folder.appendingPathComponent("stats.h5"), request: request, baseline: all[0],
                                      variants: Array(all.dropFirst()), batches: inputs.statisticsBatches(request),
                                      tokenClasses: inputs.folder.tokenClassifier,
                                      modelFolder: experiment.modelPath, dataFile: inputs.dataset.path,
                                      command: command.joined(separator: " "), progress: progress)
        case "qat":
            guard let entry = experiment.qat.first(where: { $0.name == cell.rows.first }) else {
                throw ExperimentError.invalid("cell \(cell.index): \(plan.config) has no QAT row \(cell.label)")
            }
            var one = experiment
            one.qat = [entry]
            let training = try SweepRunner.trainQAT(one, inputs: inputs, into: &models,
                                                    directory: folder.appendingPathComponent("qat"), progress: progress)
            row = try evaluate(models[0], training: training[entry.name], inputs: inputs, threads: threads,
                               repeats: repeats, folder: folder, progress: progress)
        default:
            guard let scheme = experiment.schemes.first(where: { $0.name == cell.rows.first }) else {
                throw ExperimentError.invalid("cell \(cell.index): \(plan.config) has no scheme \(cell.label)")
            }
            var one = experiment
            one.schemes = [scheme]
            models = try SweepRunner.quantize(one, inputs: inputs, progress: progress)
            row = try evaluate(models[0], training: nil, inputs: inputs, threads: threads, repeats: repeats,
                               folder: folder, progress: progress)
        }
        let weights = inputs.folder.url.appendingPathComponent("model.safetensors")
        let record = SweepCellRecord(
            run: plan.run, configSHA256: plan.configSHA256, files: files, environment: environment,
            cell: RunCell.capture(cell, environment: environment, exclusive: exclusive, started: started, finished: Date()),
            examples: inputs.dataset.count, labelled: inputs.dataset.isLabelled, threads: threads, repeats: repeats,
            modelConfig: inputs.folder.model.config,
            randomWeightsSeed: (try? SafeTensorsFile(url: weights))?.metadata["quantbench.random_seed"], row: row)
        try AtomicFile.write(try RunManifest.encoder.encode(record), to: folder.appendingPathComponent("cell.json").path)
    }

    /// `SweepRunner.evaluate` of one model; writes its reference-pass predictions per thread count.
    static func evaluate(_ model: SweepRunner.RunModel, training: QATTrainingReport?, inputs: SweepRunner.Inputs,
                         threads: [Int], repeats: Int, folder: URL, progress: SweepRunner.Progress?) throws -> SweepCellRecord.Row {
        let m = try SweepRunner.evaluate([model], inputs: inputs, threads: threads, repeats: repeats, progress: progress)
        let predictions = folder.appendingPathComponent("predictions")
        try FileManager.default.createDirectory(at: predictions, withIntermediateDirectories: true)
        for (ti, t) in threads.enumerated() {
            try AtomicFile.write(m.passes[0][ti].jsonLines(),
                                 to: predictions.appendingPathComponent(PredictionSet.fileName(scheme: model.scheme.name, threads: t)).path)
        }
        return SweepCellRecord.Row(scheme: model.scheme, parameterBytes: model.model.parameterBytes, seconds: m.seconds[0],
                                   flips: m.flips[0], logitDifference: m.logitDifference[0], metrics: m.metrics[0],
                                   training: training)
    }

    /// Writes `<index>.failed.json` (best effort: the original error is what the caller reports).
    static func recordFailure(_ index: Int, error: Error, runDirectory: URL) {
        let failure = Failure(index: index, host: RunCell.hostName(), scheduler: RunCell.schedulerTask(),
                              time: RunManifest.iso8601(Date()), error: "\(error)")
        let staging = stagingDirectory(runDirectory)
        guard (try? FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)) != nil,
              let data = try? RunManifest.encoder.encode(failure) else { return }
        let tmp = staging.appendingPathComponent("\(index).failed-\(getpid())-\(UUID().uuidString).json")
        guard (try? AtomicFile.write(data, to: tmp.path)) != nil else { return }
        if rename(tmp.path, failureFile(index, runDirectory: runDirectory).path) != 0 { unlink(tmp.path) }
    }
}
