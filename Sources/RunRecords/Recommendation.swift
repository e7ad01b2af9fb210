import Datasets
import Foundation
import Quantization

/// What `qbench recommend` found (`report.json`, `schema_version` 1): the accuracy-aware fallback of Intel Neural
/// Compressor's `basic` strategy / OpenVINO's AccuracyAwareQuantization, step by step.
///
/// The quantized layers (and the embedding tables, as the unit `embeddings`, when the scheme quantizes them) are
/// ranked once by `ranking`; then, starting from the full scheme (step 0), the most sensitive unit still quantized is
/// reverted to `fallback` per step, and the model is re-evaluated on the deciding split, until
/// `loss = metric(FP32) − metric(step) ≤ budget` on that split (or every unit is reverted). Only the deciding split
/// takes part in decisions; the reporting split is evaluated at every step for the record.
public struct Recommendation: Codable, Sendable {
    /// Version of this file's layout (STYLE.md §4).
    public var schemaVersion: Int = 1
    /// The recommendation folder's name.
    public var run: String
    /// The scheme that was relaxed, as it ran.
    public var baseScheme: String
    /// The `name` of the written scheme file (`scheme.json`).
    public var recommendedScheme: String
    public var metric: Metric
    /// Largest allowed `metric(FP32) − metric(recommended)` on the deciding split (≥ 0).
    public var budget: Double
    public var fallback: Fallback
    public var ranking: Ranking
    /// The split every decision is made on.
    public var deciding: Split
    /// The split the numbers are reported on (never used for a decision).
    public var reporting: Split
    /// Where static ranges came from; nil when the scheme needs no calibration.
    public var calibration: Split?
    /// FP32 on both splits.
    public var fp32: Evaluation
    /// Every candidate unit in rank order, most sensitive first.
    public var sensitivities: [Sensitivity]
    /// Step 0 is the full scheme; step k reverted `steps[k].reverted`.
    public var steps: [Step]
    /// Whether the last step is within the budget on the deciding split.
    public var withinBudget: Bool
    /// True when every candidate was reverted (with `fallback: fp32`, the recommendation is then FP32 itself).
    public var everyUnitReverted: Bool
    /// How speed was (not) measured.
    public var speed: String
    /// The `qbench eval` command that reproduces the last step's reporting-split numbers from `scheme.json`.
    public var reproduce: [String]

    /// The metric decisions are made on.
    public enum Metric: String, Codable, Sendable, CaseIterable {
        case f1, accuracy

        /// This metric of `m`.
        public func of(_ m: ClassificationMetrics) -> Double { self == .f1 ? m.f1 : m.accuracy }
    }

    /// What a reverted layer becomes.
    public enum Fallback: String, Codable, Sendable, CaseIterable {
        /// FP32 (`DenseLinear`), as INC and OpenVINO revert.
        case fp32
        /// binary16 weights, FP32 activations (`Float16Linear`, the `fp16` scheme's layer). Embedding tables, which
        /// have no 16-bit path, revert to FP32.
        case fp16

        /// The layer scheme of a reverted linear layer (nil = FP32).
        public var layerScheme: LayerScheme? { self == .fp16 ? LayerScheme(weight: .float16) : nil }
    }

    /// How units are ranked.
    public enum Ranking: String, Codable, Sendable, CaseIterable {
        /// Disable-only (INC `basic`'s "fallback op one by one", OpenVINO's layer-wise ranking): the full scheme with
        /// only unit U reverted to FP32; score = metric(U reverted) − metric(full scheme) on the deciding split; ties
        /// go to the smaller logit MSE against FP32 (the same pass), then to model order.
        case disableOnly = "disable-only"
        /// Isolated logit MSE (as INC's `mse` strategy ranks): only unit U quantized, everything else FP32;
        /// score = mean over examples and classes of (logit − FP32 logit)² on the deciding split; ties to model order.
        case logitMSE = "logit-mse"
    }

    /// One data split as it was used.
    public struct Split: Codable, Sendable, Equatable {
        /// The TSV file read.
        public var file: String
        /// The task folder's split name (`train`, `dev`), or the file's name for a TSV given directly.
        public var split: String
        /// Examples used.
        public var examples: Int
        /// How they were chosen (`the first 256`, `seeded sample (seed 0) of 400 from examples 256…3667`).
        public var selection: String
        /// 0-based indices into the file's examples, in file order, when a sample (nil = all or a prefix).
        public var indices: [Int]?

        public init(file: String, split: String, examples: Int, selection: String, indices: [Int]? = nil) {
            self.file = file
            self.split = split
            self.examples = examples
            self.selection = selection
            self.indices = indices
        }
    }

    /// Metrics of one model on both splits, and its size.
    public struct Evaluation: Codable, Sendable {
        public var deciding: ClassificationMetrics
        public var reporting: ClassificationMetrics
        /// Weight and embedding bytes as stored by the operators (`BertModel.parameterBytes`).
        public var modelBytes: Int

        public init(deciding: ClassificationMetrics, reporting: ClassificationMetrics, modelBytes: Int) {
            self.deciding = deciding
            self.reporting = reporting
            self.modelBytes = modelBytes
        }

        enum CodingKeys: String, CodingKey { case deciding, reporting, modelBytes = "model_bytes" }
    }

    /// One unit's measured sensitivity (`ranking` says what `score` is; larger = more sensitive).
    public struct Sensitivity: Codable, Sendable {
        /// HF layer name, or `embeddings`.
        public var unit: String
        public var score: Double
        /// Metrics of the model the score was measured on, on the deciding split.
        public var deciding: ClassificationMetrics
        /// Mean squared logit difference of that model against FP32 on the deciding split.
        public var logitMSE: Double

        public init(unit: String, score: Double, deciding: ClassificationMetrics, logitMSE: Double) {
            self.unit = unit
            self.score = score
            self.deciding = deciding
            self.logitMSE = logitMSE
        }

        enum CodingKeys: String, CodingKey { case unit, score, deciding, logitMSE = "logit_mse" }
    }

    /// One step of the greedy fallback.
    public struct Step: Codable, Sendable {
        /// 0 = the full scheme.
        public var index: Int
        /// The unit reverted at this step (nil at step 0).
        public var reverted: String?
        /// Every unit reverted so far, in order.
        public var revertedSoFar: [String]
        public var evaluation: Evaluation
        /// `metric(FP32) − metric(step)` on the deciding split.
        public var loss: Double
        public var withinBudget: Bool

        public init(index: Int, reverted: String?, revertedSoFar: [String], evaluation: Evaluation, loss: Double,
                    withinBudget: Bool) {
            self.index = index
            self.reverted = reverted
            self.revertedSoFar = revertedSoFar
            self.evaluation = evaluation
            self.loss = loss
            self.withinBudget = withinBudget
        }

        enum CodingKeys: String, CodingKey {
            case index, reverted, revertedSoFar = "reverted_so_far", evaluation, loss, withinBudget = "within_budget"
        }
    }

    public init(run: String, baseScheme: String, recommendedScheme: String, metric: Metric, budget: Double,
                fallback: Fallback, ranking: Ranking, deciding: Split, reporting: Split, calibration: Split?,
                fp32: Evaluation, sensitivities: [Sensitivity], steps: [Step], speed: String, reproduce: [String]) {
        self.run = run
        self.baseScheme = baseScheme
        self.recommendedScheme = recommendedScheme
        self.metric = metric
        self.budget = budget
        self.fallback = fallback
        self.ranking = ranking
        self.deciding = deciding
        self.reporting = reporting
        self.calibration = calibration
        self.fp32 = fp32
        self.sensitivities = sensitivities
        self.steps = steps
        withinBudget = steps.last?.withinBudget ?? false
        everyUnitReverted = !sensitivities.isEmpty && (steps.last?.revertedSoFar.count ?? 0) == sensitivities.count
        self.speed = speed
        self.reproduce = reproduce
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", run, baseScheme = "base_scheme", recommendedScheme = "recommended_scheme"
        case metric, budget, fallback, ranking, deciding, reporting, calibration, fp32, sensitivities, steps
        case withinBudget = "within_budget", everyUnitReverted = "every_unit_reverted", speed, reproduce
    }

    /// The last step: what the written scheme measures.
    public var final: Step? { steps.last }

    /// `loss ≤ budget`, with 1e-12 of slack for the rounding of two F1 quotients.
    public static func isWithin(loss: Double, budget: Double) -> Bool { loss <= budget + 1e-12 }
}
