import Datasets
import Foundation
import _Support

/// What a sweep measured (`results.json`, `schema_version` 1). Predictions live beside it in
/// `predictions/<scheme>.threads-<n>.jsonl`.
public struct SweepResults: Codable, Sendable {
    /// Version of this file's layout (STYLE.md §4). Bump when a field changes meaning.
    public var schemaVersion: Int = 1
    /// `<name>-<UTC timestamp>`, the run folder's name.
    public var run: String
    /// The experiment's name.
    public var experiment: String
    /// Evaluation examples.
    public var examples: Int
    /// Whether the data had labels (F1 / accuracy are nil otherwise).
    public var labelled: Bool
    /// Thread counts every scheme ran at.
    public var threads: [Int]
    /// Passes per scheme and thread count.
    public var repeats: Int
    /// One row per scheme, FP32 first.
    public var schemes: [SchemeResult]
    /// How the rows' confidence intervals were drawn (`f1_ci95`, …); nil for unlabelled data and for runs recorded
    /// before error bars were.
    public var bootstrap: BootstrapSettings?
    /// True when every scheme gave identical predictions and metrics at every thread count and repeat.
    public var consistentAcrossThreads: Bool { schemes.allSatisfy(\.consistentAcrossThreads) }


    public init(schemaVersion: Int = 1, run: String, experiment: String, examples: Int, labelled: Bool,
                threads: [Int], repeats: Int, schemes: [SchemeResult], bootstrap: BootstrapSettings? = nil) {
        self.schemaVersion = schemaVersion
        self.run = run
        self.experiment = experiment
        self.examples = examples
        self.labelled = labelled
        self.threads = threads
        self.repeats = repeats
        self.schemes = schemes
        self.bootstrap = bootstrap
    }
    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", run, experiment, examples, labelled, threads, repeats, schemes, bootstrap
    }

    /// Reads `results.json` of a run folder.
    /// - Throws: `RunRecordError` naming the file (and the key of a malformed one).
    public static func read(runFolder: URL) throws -> SweepResults {
        let url = runFolder.appendingPathComponent("results.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunRecordError.badPath(path: url.path, reason: "missing results.json")
        }
        let results: SweepResults
        do { results = try JSONDecoding.decode(SweepResults.self, from: data, using: RunManifest.decoder) } catch {
            throw RunRecordError.decoding(error, file: url.path)
        }
        try PathComponent.check(results.run, file: url.path, keyPath: "run")
        if let problem = results.bootstrap?.problem {
            throw RunRecordError.malformed(file: url.path, keyPath: "bootstrap", message: problem)
        }
        var files: [String: String] = [:]
        for (i, s) in results.schemes.enumerated() {
            try PathComponent.check(s.scheme, file: url.path, keyPath: "schemes[\(i)].scheme")
            let file = PredictionSet.fileName(scheme: s.scheme, threads: 1)
            if let other = files[file] {
                throw RunRecordError.malformed(file: url.path, keyPath: "schemes[\(i)].scheme",
                                               message: "'\(s.scheme)' and '\(other)' share the predictions file \(file); "
                                                   + "expected names that differ in more than '+' and '_'")
            }
            files[file] = s.scheme
        }
        return results
    }
}

/// One scheme's row.
public struct SchemeResult: Codable, Sendable, Equatable {
    /// Scheme name (registry, inline or generated).
    public var scheme: String
    /// `baseline`, `scheme` (listed), `sweep` (generated) or `qat` (quantization-aware training, `<scheme>+qat`).
    public var kind: String
    /// Factor levels of a generated scheme, keyed by factor (`activation_symmetry` → `act-symmetric`).
    public var levels: [String: String]?
    /// Metrics of the reference pass (first thread count, first repeat); nil for unlabelled data.
    public var metrics: ClassificationMetrics?
    /// Parameter bytes of the model as evaluated (int8 codes count 1 byte, scales and biases 4).
    public var modelBytes: Int
    /// Timings per thread count.
    public var timings: [Timing]
    /// F1 minus the FP32 baseline's F1.
    public var deltaF1: Double?
    /// Predictions that differ from FP32's (reference passes).
    public var flipsVsFP32: Int
    /// For each thread count, predictions that differ from the reference pass (0 everywhere = thread-invariant).
    public var threadFlips: [ThreadFlips]
    /// True when all passes (every thread count and repeat) gave identical predictions.
    public var consistentAcrossThreads: Bool
    /// How a `qat` row was trained (nil for post-training rows).
    public var training: QATTrainingReport? = nil
    /// 95% paired-bootstrap interval of F1 (`SweepResults.bootstrap`); nil for unlabelled data and for runs
    /// recorded before error bars were.
    public var f1CI95: ConfidenceInterval? = nil
    /// 95% paired-bootstrap interval of accuracy.
    public var accuracyCI95: ConfidenceInterval? = nil
    /// 95% paired-bootstrap interval of `deltaF1` (this row's F1 minus FP32's in each replicate; [0, 0] for FP32).
    public var deltaF1CI95: ConfidenceInterval? = nil
    /// Exact McNemar p-value of this row's disagreements with FP32 (`McNemarTest`; 1 for FP32 itself).
    public var mcnemarP: Double? = nil
    /// A sweep variant against the sweep's base cell (the variant equal to the base scheme), the comparison of
    /// the factorial ablation's one-factor table; nil for other rows and for the base cell itself.
    public var vsSweepBase: PairedComparison? = nil

    /// Seconds of one full evaluation pass at one thread count.
    public struct Timing: Codable, Sendable, Equatable {
        public var threads: Int
        /// One value per repeat (forward passes only; tokenization excluded).
        public var seconds: [Double]
        /// FP32's median over this scheme's median at the same thread count; nil when the two were timed on
        /// different CPU models (cells of a multi-machine sweep, `RunManifest.cells`): no ratio is honest then.
        public var speedup: Double?
        public var median: Double { seconds.median }

        public init(threads: Int, seconds: [Double], speedup: Double?) {
            self.threads = threads
            self.seconds = seconds
            self.speedup = speedup
        }
    }

    /// Prediction differences of one thread count's passes against the reference pass.
    public struct ThreadFlips: Codable, Sendable, Equatable {
        public var threads: Int
        /// Largest count over this thread count's repeats.
        public var flips: Int
        /// Largest |Δ logit| against the reference pass (0 = bit-identical).
        public var maxLogitDifference: Double


        public init(threads: Int, flips: Int, maxLogitDifference: Double) {
            self.threads = threads
            self.flips = flips
            self.maxLogitDifference = maxLogitDifference
        }
        enum CodingKeys: String, CodingKey {
            case threads, flips
            case maxLogitDifference = "max_logit_difference"
        }
    }

    public var modelMB: Double { Double(modelBytes) / 1e6 }


    /// This row against another row of the same run, on the same examples and bootstrap replicates.
    public struct PairedComparison: Codable, Sendable, Equatable {
        /// The other row's scheme.
        public var scheme: String
        /// This row's F1 minus the other's.
        public var deltaF1: Double
        public var deltaF1CI95: ConfidenceInterval
        /// Exact McNemar p-value of the two rows' disagreements.
        public var mcnemarP: Double

        public init(scheme: String, deltaF1: Double, deltaF1CI95: ConfidenceInterval, mcnemarP: Double) {
            self.scheme = scheme
            self.deltaF1 = deltaF1
            self.deltaF1CI95 = deltaF1CI95
            self.mcnemarP = mcnemarP
        }
        enum CodingKeys: String, CodingKey {
            case scheme, deltaF1 = "delta_f1", deltaF1CI95 = "delta_f1_ci95", mcnemarP = "mcnemar_p"
        }
    }

    public init(scheme: String, kind: String, levels: [String: String]? = nil, metrics: ClassificationMetrics? = nil,
                modelBytes: Int, timings: [Timing], deltaF1: Double? = nil, flipsVsFP32: Int,
                threadFlips: [ThreadFlips], consistentAcrossThreads: Bool, training: QATTrainingReport? = nil) {
        self.scheme = scheme
        self.kind = kind
        self.levels = levels
        self.metrics = metrics
        self.modelBytes = modelBytes
        self.timings = timings
        self.deltaF1 = deltaF1
        self.flipsVsFP32 = flipsVsFP32
        self.threadFlips = threadFlips
        self.consistentAcrossThreads = consistentAcrossThreads
        self.training = training
    }
    enum CodingKeys: String, CodingKey {
        case scheme, kind, levels, metrics, timings
        case modelBytes = "model_bytes", deltaF1 = "delta_f1", flipsVsFP32 = "flips_vs_fp32"
        case threadFlips = "thread_flips", consistentAcrossThreads = "consistent_across_threads", training
        case f1CI95 = "f1_ci95", accuracyCI95 = "accuracy_ci95", deltaF1CI95 = "delta_f1_ci95", mcnemarP = "mcnemar_p"
        case vsSweepBase = "vs_sweep_base"
    }
}

/// The predictions and logits of one pass, in data-set order (`predictions/<scheme>.threads-<n>.jsonl`, one
/// `{"index", "label", "prediction", "logits"}` object per line, as `qbench eval --predictions` writes).
public struct PredictionSet: Sendable, Equatable {
    public var labels: [Int?]
    public var predictions: [Int]
    public var logits: [[Float]]

    public init(labels: [Int?], predictions: [Int], logits: [[Float]]) {
        self.labels = labels
        self.predictions = predictions
        self.logits = logits
    }

    /// JSON lines; logits use Swift's shortest round-trip `Float` text, so they read back bit for bit. A
    /// non-finite logit (kept with `--allow-nonfinite`) is the string `"NaN"`, `"Infinity"` or `"-Infinity"`, never a
    /// bare `nan`, so every line stays JSON.
    public func jsonLines() -> Data {
        var out = ""
        for i in predictions.indices {
            let label = labels[i].map(String.init) ?? "null"
            out += "{\"index\":\(i),\"label\":\(label),\"prediction\":\(predictions[i]),\"logits\":["
                + logits[i].map(Self.logitText).joined(separator: ",") + "]}\n"
        }
        return Data(out.utf8)
    }

    /// `x` as JSON: shortest round-trip text, or a quoted `NaN` / `Infinity` / `-Infinity`.
    static func logitText(_ x: Float) -> String {
        if x.isFinite { return x.description }
        return x.isNaN ? "\"NaN\"" : (x > 0 ? "\"Infinity\"" : "\"-Infinity\"")
    }

    /// One logit as `logitText` wrote it: `Float(String)` of the number text (correctly rounded, so the shortest
    /// round-trip text gives back the very bits written — not through a JSON number, which would pass through
    /// Double first), or the quoted non-finite names; nil for anything else.
    static func logitValue(_ text: Substring) -> Float? {
        let t = text.trimmingCharacters(in: .whitespaces)
        switch t {
        case "\"NaN\"": return .nan
        case "\"Infinity\"": return .infinity
        case "\"-Infinity\"": return -.infinity
        default: return t.first == "\"" ? nil : Float(t)
        }
    }

    /// Parses `jsonLines()` output.
    /// - Throws: `RunRecordError.badPath` naming the file and line.
    public static func parse(_ data: Data, file: String) throws -> PredictionSet {
        struct Line: Decodable {
            var index: Int
            var label: Int?
            var prediction: Int
        }
        var set = PredictionSet(labels: [], predictions: [], logits: [])
        let decoder = RunManifest.decoder
        for (n, raw) in data.split(separator: UInt8(ascii: "\n")).enumerated() {
            let line = String(decoding: raw, as: UTF8.self)
            guard let open = line.range(of: "\"logits\":["),
                  let close = line[open.upperBound...].firstIndex(of: "]") else {
                throw RunRecordError.badPath(path: file, reason: "line \(n + 1) is not a prediction record (no logits)")
            }
            let text = line[open.upperBound..<close]
            let values = text.isEmpty ? [] : text.split(separator: ",", omittingEmptySubsequences: false).map(logitValue)
            guard values.allSatisfy({ $0 != nil }) else {
                throw RunRecordError.badPath(path: file, reason: "line \(n + 1): logits [\(text.prefix(80))] are not numbers")
            }
            let rest = String(line[..<open.lowerBound]) + "\"logits\":[]" + String(line[line.index(after: close)...])
            let row: Line
            do { row = try JSONDecoding.decode(Line.self, from: Data(rest.utf8), using: decoder) } catch {
                throw RunRecordError.badPath(path: file, reason: "line \(n + 1) is not a prediction record: "
                                             + DecodingErrorText.describe(error))
            }
            guard row.index == set.predictions.count else {
                throw RunRecordError.badPath(path: file, reason: "line \(n + 1): index \(row.index), expected \(set.predictions.count)")
            }
            set.labels.append(row.label)
            set.predictions.append(row.prediction)
            set.logits.append(values.map { $0! })
        }
        return set
    }

    /// Reads `predictions/<scheme>.threads-<n>.jsonl` of a run folder.
    /// - Throws: `RunRecordError.badPath` for a missing file or a bad line.
    public static func read(runFolder: URL, scheme: String, threads: Int) throws -> PredictionSet {
        guard PathComponent.isSafe(scheme) else {
            throw RunRecordError.badPath(path: runFolder.path, reason: "scheme name '\(scheme.prefix(80))' is not a safe file name")
        }
        let url = runFolder.appendingPathComponent("predictions").appendingPathComponent(fileName(scheme: scheme, threads: threads))
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunRecordError.badPath(path: url.path, reason: "missing predictions file")
        }
        return try parse(data, file: url.path)
    }

    /// File name inside `predictions/` for a scheme at a thread count (`/` and spaces replaced).
    public static func fileName(scheme: String, threads: Int) -> String {
        let safe = String(scheme.map { $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_" })
        return "\(safe).threads-\(threads).jsonl"
    }
}
