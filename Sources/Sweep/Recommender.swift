import BERT
import Datasets
import Experiments
import Foundation
import Quantization
import RunRecords
import TensorCore
import Training

/// `qbench recommend`: the accuracy-aware fallback of Intel Neural Compressor (`basic` strategy: "fallback op one by
/// one", then accumulated) and OpenVINO's AccuracyAwareQuantization, made transparent.
///
/// 1. Evaluate FP32 and the full scheme on the deciding split (a seeded sample of `decideSplit`, without the
///    calibration examples when both read the same file) and on the reporting split.
/// 2. Rank the units (`FallbackScheme.units`) once by `LayerSensitivity` on the deciding split.
/// 3. Revert the most sensitive unit still quantized, re-evaluate; stop when
///    `metric(FP32) − metric(step) ≤ budget` on the deciding split, or when every unit is reverted.
///
/// Static ranges are calibrated once on the FP32 model (`ModelQuantization.calibrate` of the full scheme: every
/// layer's range is observed on FP32 inputs, so it is the same whichever other layers are reverted, and the same as
/// `qbench eval --scheme scheme.json` calibrates). Everything runs in `numerics` (reproducible by default), so the
/// written scheme evaluated by `qbench eval` with the same options gives the last step's reporting numbers exactly.
public enum Recommender {
    /// What to recommend for, and on which data.
    public struct Request: Sendable {
        public var modelPath: String
        public var scheme: ModelScheme
        /// Largest allowed `metric(FP32) − metric` on the deciding split; finite, ≥ 0.
        public var budget: Double
        public var metric: Recommendation.Metric = .f1
        public var fallback: Recommendation.Fallback = .fp32
        public var ranking: Recommendation.Ranking = .disableOnly
        /// A GLUE task folder (or a TSV for the reporting split when `decideData` is set).
        public var dataPath: String
        /// Where the deciding split is read (default: `dataPath`).
        public var decideData: String?
        public var decideSplit = "train"
        /// Size of the seeded sample of the deciding split (all of it when smaller).
        public var decideExamples = 400
        public var seed: UInt64 = 0
        public var reportSplit = "dev"
        /// Calibration data of static schemes (default: `dataPath`); its first `calibrationExamples` of
        /// `calibrationSplit`, as `qbench eval` takes them.
        public var calibrationData: String?
        public var calibrationSplit = "train"
        public var calibrationExamples = 256
        public var batching = BatchingOptions()
        public var threads = 1
        public var numerics: NumericsMode = .reproducible

        public init(modelPath: String, scheme: ModelScheme, budget: Double, dataPath: String) {
            self.modelPath = modelPath
            self.scheme = scheme
            self.budget = budget
            self.dataPath = dataPath
        }

        /// The calibration data path as used.
        public var calibrationPath: String { calibrationData ?? dataPath }

        /// - Throws: `ExperimentError.invalid` naming the option.
        public func validate() throws {
            guard budget.isFinite, budget >= 0 else {
                throw ExperimentError.invalid("--budget \(budget): expected a finite loss of \(metric.rawValue) ≥ 0 (e.g. 0.005)")
            }
            guard decideExamples >= 1 else { throw ExperimentError.invalid("--decide-examples \(decideExamples): expected ≥ 1") }
            guard calibrationExamples >= 1 else {
                throw ExperimentError.invalid("--calibration-examples \(calibrationExamples): expected ≥ 1")
            }
            try scheme.validate()
        }
    }

    /// The recommendation and what it was made from.
    public struct Outcome {
        public var recommendation: Recommendation
        /// The scheme to write (`scheme.json`): the base scheme with the last step's reverts.
        public var scheme: ModelScheme
        /// sha256 of every model and data file read.
        public var files: [RunManifest.FileHash]
        public var started: Date
        public var finished: Date
    }

    /// Pass progress: a label, examples done, examples of the pass.
    public typealias Progress = (_ label: String, _ done: Int, _ total: Int) -> Void

    /// Runs the recommendation. `run` is the folder's name and `schemeFile` where `scheme.json` will be (both
    /// recorded in the report).
    /// - Throws: `ExperimentError` for bad options or data, any error of loading or evaluating.
    public static func run(_ request: Request, run: String, schemeFile: String, progress: Progress? = nil) throws -> Outcome {
        let started = Date()
        try request.validate()
        let savedNumerics = Numerics.mode, savedThreads = Parallel.threads
        Numerics.setMode(request.numerics)
        Parallel.setThreads(request.threads)
        defer {
            Numerics.setMode(savedNumerics)
            Parallel.setThreads(savedThreads)
        }
        let session = try Session(request)
        let base = request.scheme
        let units = FallbackScheme.units(of: base, linearNames: session.folder.model.linearNames)
        guard !units.isEmpty else {
            throw ExperimentError.invalid("scheme \(base.name) quantizes nothing in \(request.modelPath): nothing to revert")
        }
        guard !session.folder.model.linearNames.contains(FallbackScheme.embeddings) else {
            throw ExperimentError.invalid("\(request.modelPath) has a linear layer named \(FallbackScheme.embeddings), "
                                          + "the name of the embedding unit")
        }
        let metric = request.metric, budget = request.budget
        let fp32 = try session.evaluate(.fp32, label: "fp32", progress: progress)
        session.fp32Logits = fp32.deciding.logits
        let fp32Metric = metric.of(fp32.evaluation.deciding)

        let sensitivities = try LayerSensitivity.rank(units, base: base, by: request.ranking, metric: metric,
                                                      session: session, progress: progress)
        let fallback = request.fallback.layerScheme
        var steps: [Recommendation.Step] = []
        var reverted: [String] = []
        while true {
            let scheme = FallbackScheme.reverting(reverted, in: base, to: fallback)
            let label = reverted.last.map { "step \(reverted.count): revert \($0)" } ?? "step 0: \(base.name)"
            let e = try session.evaluate(scheme, label: label, progress: progress)
            let loss = fp32Metric - metric.of(e.evaluation.deciding)
            let within = Recommendation.isWithin(loss: loss, budget: budget)
            steps.append(.init(index: reverted.count, reverted: reverted.last, revertedSoFar: reverted,
                               evaluation: e.evaluation, loss: loss, withinBudget: within))
            guard !within, reverted.count < sensitivities.count else { break }
            reverted.append(sensitivities[reverted.count].unit)
        }

        let name = "\(base.name)+recommended"
        let summary = "\(base.name) with \(reverted.count) unit(s) reverted to \(request.fallback.rawValue) by qbench recommend "
            + "(\(metric.rawValue) budget \(budget) on \(session.deciding.split.split), \(request.ranking.rawValue) ranking)"
        let scheme = FallbackScheme.reverting(reverted, in: base, to: fallback, name: name, summary: summary)
        let recommendation = Recommendation(
            run: run, baseScheme: base.name, recommendedScheme: name, metric: metric, budget: budget,
            fallback: request.fallback, ranking: request.ranking, deciding: session.deciding.split,
            reporting: session.reporting.split, calibration: session.calibrationSplit, fp32: fp32.evaluation,
            sensitivities: sensitivities, steps: steps,
            speed: "not measured: every pass here is an accuracy pass on a shared machine; time the written scheme with "
                + "`qbench bench --scheme scheme.json`",
            reproduce: reproduceCommand(request, schemeFile: schemeFile, needsCalibration: scheme.requiresCalibration))
        return Outcome(recommendation: recommendation, scheme: scheme, files: try session.hashInputs(),
                       started: started, finished: Date())
    }

    /// The `qbench eval` command that evaluates `schemeFile` on the reporting split the way the recommender did.
    static func reproduceCommand(_ r: Request, schemeFile: String, needsCalibration: Bool) -> [String] {
        var c = ["qbench", "eval", "--model", r.modelPath, "--data", r.dataPath, "--split", r.reportSplit,
                 "--scheme", schemeFile, "--numerics", r.numerics.rawValue,
                 "--batch-size", "\(r.batching.batchSize)", "--max-seq-length", "\(r.batching.maxSeqLength)"]
        if r.batching.padToMax { c.append("--pad-to-max") }
        if needsCalibration {
            c += ["--calibration-data", r.calibrationPath, "--calibration-split", r.calibrationSplit,
                  "--calibration-examples", "\(r.calibrationExamples)"]
        }
        return c
    }
}

extension Recommender {
    /// One split, tokenized and batched once.
    struct Batches {
        var split: Recommendation.Split
        var batches: [BertBatch]
        var labels: [Int]
        var dataset: PairDataset
    }

    /// The model folder, the FP32 logits of the deciding split, the calibrated ranges and both splits' batches.
    final class Session {
        let request: Request
        let folder: ModelFolder
        let deciding: Batches
        let reporting: Batches
        let calibrationSplit: Recommendation.Split?
        let calibrations: [String: Calibration]
        /// FP32 logits of the deciding split (set once FP32 is evaluated), for `logitMSE`.
        var fp32Logits: [[Float]] = []

        init(_ request: Request) throws {
            self.request = request
            folder = try ModelFolder(path: request.modelPath)
            try folder.checkBinaryClassifier()
            try folder.checkSequenceLength(request.batching)
            let decideFile = try PairDataset.load(path: request.decideData ?? request.dataPath, split: request.decideSplit)
            let reportFile = try PairDataset.load(path: request.dataPath, split: request.reportSplit)
            guard decideFile.path != reportFile.path else {
                throw ExperimentError.invalid("the deciding split and the reporting split are the same file "
                    + "\(reportFile.path): give a task folder with both splits (--decide-split, --report-split) or --decide-data")
            }
            for d in [decideFile, reportFile] where !d.isLabelled {
                throw ExperimentError.badPath(path: d.path, reason: "has unlabelled examples; a recommendation needs labels")
            }
            var excluded = 0
            if request.scheme.requiresCalibration {
                let cal = try PairDataset.load(path: request.calibrationPath, split: request.calibrationSplit)
                let n = min(request.calibrationExamples, cal.count)
                calibrationSplit = .init(file: cal.path, split: Self.splitName(request.calibrationPath, request.calibrationSplit),
                                         examples: n, selection: "the first \(n) examples (as `qbench eval` calibrates)")
                if cal.path == decideFile.path { excluded = n }
                let batches = folder.batches(PairDataset(path: cal.path, examples: Array(cal.examples.prefix(n))),
                                             options: request.batching)
                calibrations = try ModelQuantization.calibrate(request.scheme, model: folder.model, batches: batches)
            } else {
                calibrationSplit = nil
                calibrations = [:]
            }
            let pool = Array(excluded..<decideFile.count)
            guard !pool.isEmpty else {
                throw ExperimentError.invalid("\(decideFile.path) has no examples left for deciding after the "
                                              + "\(excluded) calibration examples; lower --calibration-examples")
            }
            let order = SeededShuffle.permutation(count: pool.count, seed: request.seed, epoch: 0)
            let indices = order.prefix(request.decideExamples).map { pool[$0] }.sorted()
            let exclusion = excluded > 0 ? " from examples \(excluded)…\(decideFile.count - 1) (the first \(excluded) calibrate)" : ""
            let selection = indices.count == pool.count && excluded == 0
                ? "all examples"
                : "seeded sample (seed \(request.seed)) of \(indices.count)\(exclusion)"
            deciding = Self.batches(PairDataset(path: decideFile.path, examples: indices.map { decideFile.examples[$0] }),
                                    split: .init(file: decideFile.path,
                                                 split: Self.splitName(request.decideData ?? request.dataPath, request.decideSplit),
                                                 examples: indices.count, selection: selection, indices: indices),
                                    folder: folder, options: request.batching)
            reporting = Self.batches(reportFile, split: .init(file: reportFile.path,
                                                              split: Self.splitName(request.dataPath, request.reportSplit),
                                                              examples: reportFile.count, selection: "all examples"),
                                     folder: folder, options: request.batching)
        }

        static func batches(_ d: PairDataset, split: Recommendation.Split, folder: ModelFolder,
                            options: BatchingOptions) -> Batches {
            Batches(split: split, batches: folder.batches(d, options: options), labels: d.labels, dataset: d)
        }

        /// `split` for a task folder, the file's name for a TSV.
        static func splitName(_ path: String, _ split: String) -> String {
            Experiment.dataFile(path, split: split) == path ? (path as NSString).lastPathComponent : split
        }

        /// One model's numbers on both splits.
        struct Evaluated {
            var deciding: EvalResult
            var evaluation: Recommendation.Evaluation
        }

        /// `scheme` applied to the FP32 model with the calibrated ranges.
        func model(_ scheme: ModelScheme) throws -> BertModel {
            try ModelQuantization.apply(scheme, to: folder.model, calibrations: calibrations)
        }

        /// `model` on the deciding split.
        func decide(_ model: BertModel, label: String, progress: Progress?) throws -> EvalResult {
            try Evaluator.run(model: model, batches: deciding.batches, labels: deciding.labels,
                              data: deciding.dataset) { progress?(label + " · deciding", $0, $1) }
        }

        /// `scheme` on the deciding and the reporting split.
        func evaluate(_ scheme: ModelScheme, label: String, progress: Progress?) throws -> Evaluated {
            let m = try model(scheme)
            let d = try decide(m, label: label, progress: progress)
            let r = try Evaluator.run(model: m, batches: reporting.batches, labels: reporting.labels,
                                      data: reporting.dataset) { progress?(label + " · reporting", $0, $1) }
            return Evaluated(deciding: d, evaluation: .init(deciding: d.metrics!, reporting: r.metrics!,
                                                            modelBytes: m.parameterBytes))
        }

        /// Mean over examples and classes of (logit − FP32 logit)² on the deciding split.
        func logitMSE(_ logits: [[Float]]) -> Double {
            precondition(!fp32Logits.isEmpty, "FP32 is evaluated first")
            var sum = 0.0, n = 0
            for (a, b) in zip(logits, fp32Logits) {
                for (x, y) in zip(a, b) {
                    let d = Double(x) - Double(y)
                    sum += d * d
                    n += 1
                }
            }
            return n == 0 ? 0 : sum / Double(n)
        }

        /// sha256 of the model folder's files and of every data file read, once per role (the deciding and the
        /// calibration file are usually the same `train.tsv`, listed under both roles).
        func hashInputs() throws -> [RunManifest.FileHash] {
            var out = try RunManifest.FileHash.modelFolder(request.modelPath)
            let files: [(String, String?)] = [("deciding_data", deciding.split.file), ("data", reporting.split.file),
                                              ("calibration_data", calibrationSplit?.file)]
            for case let (role, path?) in files { out.append(try .of(role: role, path: path)) }
            return out
        }
    }
}
