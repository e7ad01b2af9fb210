import Foundation
import Quantization
import TensorCore

/// `manifest.json` of a `qbench recommend` folder (`kind` `quantbench.recommend`, `schema_version` 1): the inputs
/// with their sha256 (`RunManifest.FileHash`, as sweeps record them), where they lie relative to the project
/// (`RunManifest.InputPaths`), the machine (`RunEnvironment`) and the options as they ran, so the folder can be
/// bundled and cited like a sweep's.
public struct RecommendationManifest: Codable, Sendable {
    public var schemaVersion: Int = 1
    public var kind: String = "quantbench.recommend"
    /// The folder's name.
    public var run: String
    /// The command line that made it.
    public var command: [String]
    /// Absolute model folder and data paths on the recording machine.
    public var modelPath: String
    public var dataPath: String
    public var calibrationPath: String
    /// The same, relative to the project when inside it.
    public var inputs: RunManifest.InputPaths
    public var numerics: NumericsMode
    /// The scheme that was relaxed, in full.
    public var baseScheme: ModelScheme
    /// sha256 of `scheme.json` as written.
    public var schemeSHA256: String
    public var batching: BatchingOptions
    public var threads: Int
    /// Seed of the deciding split's sample.
    public var seed: UInt64
    /// Every model and data file read.
    public var files: [RunManifest.FileHash]
    public var environment: RunEnvironment
    /// ISO 8601 UTC.
    public var started: String
    public var finished: String
    public var wallSeconds: Double

    public init(run: String, command: [String], modelPath: String, dataPath: String, calibrationPath: String,
                inputs: RunManifest.InputPaths, numerics: NumericsMode, baseScheme: ModelScheme, schemeSHA256: String,
                batching: BatchingOptions, threads: Int, seed: UInt64, files: [RunManifest.FileHash],
                environment: RunEnvironment, started: Date, finished: Date) {
        self.run = run
        self.command = command
        self.modelPath = modelPath
        self.dataPath = dataPath
        self.calibrationPath = calibrationPath
        self.inputs = inputs
        self.numerics = numerics
        self.baseScheme = baseScheme
        self.schemeSHA256 = schemeSHA256
        self.batching = batching
        self.threads = threads
        self.seed = seed
        self.files = files
        self.environment = environment
        self.started = RunManifest.iso8601(started)
        self.finished = RunManifest.iso8601(finished)
        wallSeconds = finished.timeIntervalSince(started)
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", kind, run, command
        case modelPath = "model_path", dataPath = "data_path", calibrationPath = "calibration_path", inputs, numerics
        case baseScheme = "base_scheme", schemeSHA256 = "scheme_sha256", batching, threads, seed, files, environment
        case started, finished, wallSeconds = "wall_seconds"
    }
}
