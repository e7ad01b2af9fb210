import BERT
import Datasets
import Foundation
import Quantization
import RunRecords
import _Support

/// `DIR/cells/<index>/cell.json`: what one cell of a sweep measured, and where. Its predictions are beside it in
/// `predictions/<scheme>.threads-<n>.jsonl` (the run folder's format), a QAT cell's model in `qat/<row>/`, the
/// statistics cell's file in `stats.h5`. `SweepMerge` reads it; nothing else depends on its layout.
public struct SweepCellRecord: Codable, Sendable {
    /// Version of this file's layout (STYLE.md §4).
    public var schemaVersion: Int = 1
    /// `quantbench.sweep-cell`.
    public var kind: String = "quantbench.sweep-cell"
    /// The plan's run id.
    public var run: String
    /// sha256 of the experiment file the cell ran.
    public var configSHA256: String
    /// Hashes of every model and data file of the sweep (all of them, whatever the cell read), as the cell saw them.
    public var files: [RunManifest.FileHash]
    /// The cell's build and machine.
    public var environment: RunEnvironment
    /// Index, host, kernel family, scheduler, exclusive or not, start and end.
    public var cell: RunCell
    /// Evaluation examples and whether they had labels.
    public var examples: Int
    public var labelled: Bool
    public var threads: [Int]
    public var repeats: Int
    /// The model's shape, and the random-weights seed of a `qbench model init` folder.
    public var modelConfig: BertConfiguration
    public var randomWeightsSeed: String?
    /// The measured row; nil for the statistics cell.
    public var row: Row?

    /// One model's measurements, indexed by thread count (`threads` order), as `SweepRunner.Measurements` holds
    /// them for one model.
    public struct Row: Codable, Sendable {
        /// The scheme as it ran (a QAT row's carries the row name).
        public var scheme: ModelScheme
        public var parameterBytes: Int
        /// Seconds of every pass, `[thread count][repeat]`.
        public var seconds: [[Double]]
        /// Largest prediction flips and |Δ logit| against the cell's own reference pass, per thread count.
        public var flips: [Int]
        public var logitDifference: [Double]
        /// Metrics of the reference pass (first thread count, first repeat).
        public var metrics: ClassificationMetrics?
        /// How a QAT row was trained.
        public var training: QATTrainingReport?

        enum CodingKeys: String, CodingKey {
            case scheme, seconds, flips, metrics, training
            case parameterBytes = "parameter_bytes", logitDifference = "logit_difference"
        }
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", kind, run, files, environment, cell, examples, labelled, threads, repeats
        case configSHA256 = "config_sha256", modelConfig = "model_config", randomWeightsSeed = "random_weights_seed", row
    }

    /// `DIR/cells/<index>/cell.json`.
    public static func read(cellFolder: URL) throws -> SweepCellRecord {
        let url = cellFolder.appendingPathComponent("cell.json")
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw RunRecordError.badPath(path: url.path, reason: "missing cell.json")
        }
        let record: SweepCellRecord
        do { record = try JSONDecoder().decode(SweepCellRecord.self, from: data) } catch {
            throw RunRecordError.decoding(error, file: url.path)
        }
        guard record.schemaVersion == 1, record.kind == "quantbench.sweep-cell" else {
            throw RunRecordError.malformed(file: url.path, keyPath: "schema_version",
                                           message: "unsupported cell \(record.kind) v\(record.schemaVersion); expected quantbench.sweep-cell v1")
        }
        return record
    }
}
