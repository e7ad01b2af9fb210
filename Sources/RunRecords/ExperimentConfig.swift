import Foundation
import TensorCore
import Quantization

/// An experiment file (YAML): what to evaluate, with which schemes, how to time it and where to write the run.
///
/// Keys (snake_case; see `experiments/*.yaml` and `docs/experiments.md`):
///
///     name: mrpc-tutorial                       # required; run folders are <output>/<name>-<UTC timestamp>
///     description: …                            # optional, one line
///     model: models/minilm-l6-mrpc              # required; HF model folder (`--model` replaces it)
///     data: {path: data/glue/MRPC, split: dev, limit: 0}
///     batching: {batch_size: 8, max_seq_length: 128, pad_to_max: true}
///     schemes: [pytorch-dynamic, fp16, {name: my-scheme, default: {weight: {…}, activation: {…}}}]
///     sweep: {name: ablation, base: q8bert-dynamic, axes: {activation_symmetry: [symmetric, affine], …}}
///     qat: [{scheme: q8bert-static, epochs: 1, lr: 2.0e-5, batch_size: 16, seed: 42}]   # see QATSpec
///     threads: [1, 2]
///     numerics: reproducible   # or fast (OpenBLAS); default reproducible
///     repeats: 3
///     seed: 0
///     calibration: {data: data/glue/MRPC, split: train, examples: 256}
///     statistics: {sensitivity: false, examples: 0}   # stats.h5: weights, outputs, input ranges always
///     output: runs
///     published: [tutorial, pytorch-pr-34691, onnxruntime-notebook, q8bert]
///     notes: ["…"]
///     citation: {authors: ["…"], title: "…", url: "…"}
///
/// Relative paths are resolved against the working directory (the project root for the shipped experiments).
/// The FP32 baseline always runs first; `fp32` in `schemes` is not run twice.
public struct ExperimentConfig: Codable, Equatable, Sendable {
    /// Run name: letters, digits, `.`, `_`, `-`.
    public var name: String
    /// One line for reports and the citation.
    public var description: String
    /// Model folder as written in the file.
    public var model: String
    /// Evaluation data.
    public var data: DataSpec
    /// Batching for evaluation and calibration.
    public var batching: BatchingOptions
    /// Schemes to run besides the FP32 baseline, in order.
    public var schemes: [SchemeEntry]
    /// Optional factorial sweep generating more schemes from a base scheme.
    public var sweep: SweepSpec?
    /// Quantization-aware-training rows (`<scheme>+qat`), trained and evaluated after the other schemes.
    public var qat: [QATSpec]
    /// Thread counts; every scheme is evaluated at each (the first count's predictions are the reference).
    public var threads: [Int]
    /// `numerics:` as written (nil when the file has no such key: a new run then uses `reproducible`; the manifest
    /// records the mode that ran as its own `numerics`).
    public var numerics: NumericsMode?
    /// Evaluation passes per scheme and thread count (median seconds reported).
    public var repeats: Int
    /// Recorded in the manifest; seeds the bootstrap of the rows' confidence intervals (`results.json`
    /// `bootstrap.seed`); every other step is deterministic (calibration takes the first examples).
    public var seed: UInt64
    /// Calibration data for static schemes.
    public var calibration: CalibrationSpec
    /// Layer statistics to write to `stats.h5` (nil = none).
    public var statistics: StatisticsRequest?
    /// Folder that receives run folders.
    public var output: String
    /// Published reference row groups shown beside ours in `results.md`.
    public var published: [PublishedResults.Group]
    /// Free-text notes copied into `results.md`.
    public var notes: [String]
    /// Authors and title for `CITATION.cff` / the BibTeX entry.
    public var citation: CitationSpec

    /// Where the evaluation examples come from.
    public struct DataSpec: Codable, Equatable, Sendable {
        /// A TSV file or a GLUE task folder.
        public var path: String
        /// Split of a task folder (`<path>/<split>.tsv`).
        public var split: String = "dev"
        /// Use only the first `limit` examples (0 = all).
        public var limit: Int = 0

        public init(path: String, split: String = "dev", limit: Int = 0) {
            self.path = path
            self.split = split
            self.limit = limit
        }
    }

    /// Where static schemes take their calibration batches from.
    public struct CalibrationSpec: Codable, Equatable, Sendable {
        /// TSV or task folder; nil = `data.path`.
        public var data: String?
        /// Split of a task folder.
        public var split: String = "train"
        /// The first N examples are used.
        public var examples: Int = 256

        public init(data: String? = nil, split: String = "train", examples: Int = 256) {
            self.data = data
            self.split = split
            self.examples = examples
        }
    }

    /// Citation metadata for the run.
    public struct CitationSpec: Codable, Equatable, Sendable {
        /// Author names as they should appear (`"Ada Lovelace"` or an organisation).
        public var authors: [String] = ["QuantBench contributors"]
        /// Title; default "QuantBench run <run id>: <description>".
        public var title: String?
        /// Where the run is published, if anywhere.
        public var url: String?

        public init(authors: [String] = ["QuantBench contributors"], title: String? = nil, url: String? = nil) {
            self.authors = authors
            self.title = title
            self.url = url
        }
    }

    enum CodingKeys: String, CodingKey {
        case name, description, model, data, batching, schemes, sweep, qat, threads, numerics, repeats, seed, calibration
        case statistics, output, published, notes, citation
    }

    public init(name: String, description: String = "", model: String, data: DataSpec,
                batching: BatchingOptions = BatchingOptions(),
                schemes: [SchemeEntry] = [], sweep: SweepSpec? = nil, qat: [QATSpec] = [], threads: [Int] = [1], repeats: Int = 1,
                seed: UInt64 = 0, calibration: CalibrationSpec = CalibrationSpec(), statistics: StatisticsRequest? = nil,
                output: String = "runs", published: [PublishedResults.Group] = PublishedResults.Group.allCases,
                notes: [String] = [], citation: CitationSpec = CitationSpec()) {
        self.name = name
        self.description = description
        self.model = model
        self.data = data
        self.batching = batching
        self.schemes = schemes
        self.sweep = sweep
        self.qat = qat
        self.threads = threads
        self.repeats = repeats
        self.seed = seed
        self.calibration = calibration
        self.statistics = statistics
        self.output = output
        self.published = published
        self.notes = notes
        self.citation = citation
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        description = try c.decodeIfPresent(String.self, forKey: .description) ?? ""
        model = try c.decode(String.self, forKey: .model)
        data = try c.decode(DataSpec.self, forKey: .data)
        batching = try c.decodeIfPresent(BatchingOptions.self, forKey: .batching) ?? BatchingOptions()
        schemes = try c.decodeIfPresent([SchemeEntry].self, forKey: .schemes) ?? []
        sweep = try c.decodeIfPresent(SweepSpec.self, forKey: .sweep)
        qat = try c.decodeIfPresent([QATSpec].self, forKey: .qat) ?? []
        threads = try c.decodeIfPresent([Int].self, forKey: .threads) ?? [1]
        numerics = try c.decodeIfPresent(NumericsMode.self, forKey: .numerics)
        repeats = try c.decodeIfPresent(Int.self, forKey: .repeats) ?? 1
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 0
        calibration = try c.decodeIfPresent(CalibrationSpec.self, forKey: .calibration) ?? CalibrationSpec()
        statistics = try c.decodeIfPresent(StatisticsRequest.self, forKey: .statistics)
        output = try c.decodeIfPresent(String.self, forKey: .output) ?? "runs"
        published = try c.decodeIfPresent([PublishedResults.Group].self, forKey: .published) ?? PublishedResults.Group.allCases
        notes = try c.decodeIfPresent([String].self, forKey: .notes) ?? []
        citation = try c.decodeIfPresent(CitationSpec.self, forKey: .citation) ?? CitationSpec()
    }
}

extension ExperimentConfig.DataSpec {
    enum CodingKeys: String, CodingKey { case path, split, limit }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        path = try c.decode(String.self, forKey: .path)
        split = try c.decodeIfPresent(String.self, forKey: .split) ?? "dev"
        limit = try c.decodeIfPresent(Int.self, forKey: .limit) ?? 0
    }
}

extension ExperimentConfig.CalibrationSpec {
    enum CodingKeys: String, CodingKey { case data, split, examples }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        data = try c.decodeIfPresent(String.self, forKey: .data)
        split = try c.decodeIfPresent(String.self, forKey: .split) ?? "train"
        examples = try c.decodeIfPresent(Int.self, forKey: .examples) ?? 256
    }
}

extension ExperimentConfig.CitationSpec {
    enum CodingKeys: String, CodingKey { case authors, title, url }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        authors = try c.decodeIfPresent([String].self, forKey: .authors) ?? ["QuantBench contributors"]
        title = try c.decodeIfPresent(String.self, forKey: .title)
        url = try c.decodeIfPresent(String.self, forKey: .url)
    }
}

/// A scheme in an experiment file: a registered name (`pytorch-dynamic`) or an inline definition with the same
/// keys `qbench schemes NAME` prints.
public enum SchemeEntry: Codable, Equatable, Sendable {
    case named(String)
    case inline(ModelScheme)

    public init(from decoder: Decoder) throws {
        if let single = try? decoder.singleValueContainer(), let name = try? single.decode(String.self) {
            self = .named(name)
        } else {
            self = .inline(try ModelScheme(from: decoder))
        }
    }

    public func encode(to encoder: Encoder) throws {
        switch self {
        case let .named(name):
            var c = encoder.singleValueContainer()
            try c.encode(name)
        case let .inline(scheme):
            try scheme.encode(to: encoder)
        }
    }

    /// The scheme: looked up in `SchemeRegistry`, or the inline definition.
    public func resolve() throws -> ModelScheme {
        switch self {
        case let .named(name): return try SchemeRegistry.scheme(named: name)
        case let .inline(scheme): return scheme
        }
    }
}

/// Layer statistics a sweep records in `stats.h5` (written by `SweepStatistics`, layout docs/hdf5-layout.md): every
/// category is always recorded — per-layer weight error, FP32-vs-quantized layer outputs and hidden states, input
/// ranges — against the same static ranges the evaluated models were calibrated with.
///
/// Run folders written before the `weights`, `activations` and `input_ranges` switches were removed (they never
/// changed the file) still read: a manifest's decoder ignores them. Experiment files that set them are refused as
/// unknown keys.
public struct StatisticsRequest: Codable, Equatable, Sendable {
    /// Per-layer prediction flips (one extra pass per layer).
    public var sensitivity: Bool = false
    /// Examples to run for statistics (0 = the whole evaluation set).
    public var examples: Int = 0

    public init(sensitivity: Bool = false, examples: Int = 0) {
        self.sensitivity = sensitivity
        self.examples = examples
    }

    enum CodingKeys: String, CodingKey { case sensitivity, examples }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        sensitivity = try c.decodeIfPresent(Bool.self, forKey: .sensitivity) ?? false
        examples = try c.decodeIfPresent(Int.self, forKey: .examples) ?? 0
    }
}
