import Foundation
import Quantization
import TensorCore
import _Support

/// `manifest.json` of a run folder: everything needed to re-run it (`qbench reproduce`) and to cite it.
///
/// `config` is the experiment as decoded (inline schemes in full); `schemes` are the exact schemes that ran, in
/// order, so a reproduction does not depend on the registry of the reproducing build. `files` holds the sha256 of
/// every model and data file read; `reproduce` refuses when any differs.
public struct RunManifest: Codable, Sendable {
    /// Version of this file's layout (STYLE.md §4).
    public var schemaVersion: Int = 1
    /// `quantbench.sweep`.
    public var kind: String = "quantbench.sweep"
    /// The run folder's name.
    public var run: String
    /// The command line that made the run.
    public var command: [String]
    /// The experiment as decoded.
    public var config: ExperimentConfig
    /// sha256 of the config: of the file's bytes when it came from a file.
    public var configSHA256: String
    /// The experiment file's path and full text, when it came from a file.
    public var configFile: ExperimentSource?
    /// Absolute model folder and data path the run read (on the recording machine).
    public var modelPath: String
    public var dataPath: String
    /// Absolute calibration data path (used only by static schemes).
    public var calibrationPath: String
    /// The same three locations relative to the project (the working directory of the run) when they lie inside
    /// it, else as given: what `qbench reproduce` tries first on another machine (a fresh clone). nil in manifests
    /// written before they were recorded.
    public var inputs: InputPaths?
    /// The FP32 numerics the run used. nil in manifests written before it was recorded: those ran OpenBLAS, so
    /// they reproduce as `fast` (`effectiveNumerics`).
    public var numerics: NumericsMode?
    /// `6 layers × 384 (12 heads, intermediate 1536, vocab 30522)`.
    public var modelShape: String
    /// Seed of a `qbench model init` folder (random weights: accuracy is meaningless), from its safetensors metadata.
    public var randomWeightsSeed: String?
    /// Every scheme that ran, FP32 first.
    public var schemes: [ModelScheme]
    /// Sweep variants and their factor levels.
    public var variants: [SweepVariant]
    /// Hashes of every model and data file.
    public var files: [FileHash]
    public var environment: RunEnvironment
    public var threads: [Int]
    public var repeats: Int
    public var seed: UInt64
    /// ISO 8601 UTC.
    public var started: String
    public var finished: String
    public var wallSeconds: Double
    /// Whether `stats.h5` was written, or why not.
    public var statistics: String
    /// The cells a multi-machine run was merged from (`qbench sweep --merge`), in plan order; nil for a sweep that
    /// ran in one process.
    public var cells: [RunCell]? = nil

    /// `numerics`, or `fast` for a manifest that predates the field.
    public var effectiveNumerics: NumericsMode { numerics ?? .fast }

    /// Model folder, data and calibration data paths relative to the project (or absolute, as given).
    public struct InputPaths: Codable, Sendable, Equatable {
        public var model: String
        public var data: String
        public var calibration: String

        public init(model: String, data: String, calibration: String) {
            self.model = model
            self.data = data
            self.calibration = calibration
        }

        /// `path` relative to `root` when it lies inside it (`models/minilm-l6-mrpc`), else unchanged.
        public static func relative(_ path: String, to root: String) -> String {
            let p = URL(fileURLWithPath: path).standardizedFileURL.path
            let r = URL(fileURLWithPath: root).standardizedFileURL.path
            let prefix = r.hasSuffix("/") ? r : r + "/"
            return p.hasPrefix(prefix) ? String(p.dropFirst(prefix.count)) : p
        }
    }
    /// `true` when the run was made with `--allow-nonfinite` (NaN/±Inf weights and logits kept); absent otherwise.
    public var allowNonFinite: Bool?

    /// One hashed input file.
    public struct FileHash: Codable, Sendable, Equatable {
        /// `model`, `data` or `calibration_data`.
        public var role: String
        /// File name (inside the model folder for `model`).
        public var name: String
        /// Absolute path at run time.
        public var path: String
        public var sha256: String
        public var bytes: Int

        public init(role: String, name: String, path: String, sha256: String, bytes: Int) {
            self.role = role
            self.name = name
            self.path = path
            self.sha256 = sha256
            self.bytes = bytes
        }
    }


    public init(schemaVersion: Int = 1, kind: String = "quantbench.sweep", run: String, command: [String],
                config: ExperimentConfig, configSHA256: String, configFile: ExperimentSource? = nil,
                modelPath: String, dataPath: String, calibrationPath: String, inputs: InputPaths? = nil,
                numerics: NumericsMode? = nil, modelShape: String,
                randomWeightsSeed: String? = nil, schemes: [ModelScheme], variants: [SweepVariant], files: [FileHash],
                environment: RunEnvironment, threads: [Int], repeats: Int, seed: UInt64, started: String,
                finished: String, wallSeconds: Double, statistics: String, allowNonFinite: Bool? = nil) {
        self.schemaVersion = schemaVersion
        self.kind = kind
        self.run = run
        self.command = command
        self.config = config
        self.configSHA256 = configSHA256
        self.configFile = configFile
        self.modelPath = modelPath
        self.dataPath = dataPath
        self.calibrationPath = calibrationPath
        self.inputs = inputs
        self.numerics = numerics
        self.modelShape = modelShape
        self.randomWeightsSeed = randomWeightsSeed
        self.schemes = schemes
        self.variants = variants
        self.files = files
        self.environment = environment
        self.threads = threads
        self.repeats = repeats
        self.seed = seed
        self.started = started
        self.finished = finished
        self.wallSeconds = wallSeconds
        self.statistics = statistics
        self.allowNonFinite = allowNonFinite
    }
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", kind, run, command, config
        case configSHA256 = "config_sha256", configFile = "config_file"
        case modelPath = "model_path", dataPath = "data_path", calibrationPath = "calibration_path", inputs, numerics
        case modelShape = "model_shape"
        case randomWeightsSeed = "random_weights_seed", schemes, variants, files, environment
        case threads, repeats, seed, started, finished
        case wallSeconds = "wall_seconds", statistics, cells, allowNonFinite = "allow_nonfinite"
    }

    /// Sorted-key, pretty JSON (stable bytes for equal values). A non-finite number (a run made with
    /// `--allow-nonfinite`) is written as the string `"NaN"`, `"Infinity"` or `"-Infinity"`; `decoder` reads them back.
    public static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity",
                                                                nan: "NaN")
        return e
    }

    /// The decoder of run-folder JSON: reads the strings `encoder` writes for non-finite numbers.
    public static var decoder: JSONDecoder {
        let d = JSONDecoder()
        d.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "Infinity", negativeInfinity: "-Infinity",
                                                                  nan: "NaN")
        return d
    }

    /// Reads `manifest.json` of a run folder.
    /// - Throws: `RunRecordError` naming the manifest (and the key of a malformed file).
    public static func read(runFolder: URL) throws -> RunManifest {
        let url = runFolder.appendingPathComponent("manifest.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunRecordError.badPath(path: url.path, reason: "no manifest.json: not a run folder written by `qbench sweep`")
        }
        do {
            let m = try JSONDecoding.decode(RunManifest.self, from: data, using: decoder)
            guard m.schemaVersion == 1, m.kind == "quantbench.sweep" else {
                throw RunRecordError.malformed(file: url.path, keyPath: "schema_version",
                                               message: "unsupported manifest \(m.kind) v\(m.schemaVersion); expected quantbench.sweep v1")
            }
            try PathComponent.check(m.run, file: url.path, keyPath: "run")
            return m
        } catch let e as RunRecordError {
            throw e
        } catch {
            throw RunRecordError.decoding(error, file: url.path)
        }
    }

    public static func iso8601(_ d: Date) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        f.timeZone = TimeZone(identifier: "UTC")
        return f.string(from: d)
    }
}
