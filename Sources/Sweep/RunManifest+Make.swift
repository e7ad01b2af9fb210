import Experiments
import Foundation
import RunRecords
import _Support

extension RunManifest {
    /// The manifest of `outcome` for `experiment`; `projectRoot` (default: the working directory) is what the
    /// recorded `inputs` paths are relative to.
    public static func make(experiment: Experiment, outcome: SweepRunner.Outcome, command: [String],
                            environment: RunEnvironment,
                            projectRoot: String = FileManager.default.currentDirectoryPath) throws -> RunManifest {
        let configSHA: String
        if let source = experiment.source {
            configSHA = source.sha256
        } else {
            configSHA = SHA256.hex(try RunManifest.encoder.encode(experiment.config))
        }
        return RunManifest(
            run: outcome.results.run, command: command, config: experiment.config, configSHA256: configSHA,
            configFile: experiment.source, modelPath: experiment.modelPath, dataPath: experiment.dataPath,
            calibrationPath: experiment.calibrationPath,
            inputs: InputPaths(model: InputPaths.relative(experiment.modelPath, to: projectRoot),
                               data: InputPaths.relative(experiment.dataPath, to: projectRoot),
                               calibration: InputPaths.relative(experiment.calibrationPath, to: projectRoot)),
            numerics: experiment.numerics, modelShape: outcome.modelShape, randomWeightsSeed: outcome.randomWeightsSeed,
            schemes: experiment.schemes, variants: experiment.variants, files: outcome.files, environment: environment,
            threads: experiment.config.threads, repeats: outcome.results.repeats, seed: experiment.config.seed,
            started: iso8601(outcome.started), finished: iso8601(outcome.finished),
            wallSeconds: outcome.finished.timeIntervalSince(outcome.started),
            statistics: outcome.statisticsFile != nil ? "stats.h5" : "not requested",
            allowNonFinite: experiment.allowNonFinite ? true : nil)
    }
}
