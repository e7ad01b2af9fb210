import Experiments
import Foundation
import RunRecords
import _Support

/// A sweep cut into independent cells, so that several machines can run it (`qbench sweep CONFIG --plan`).
///
/// Cell 0 is the FP32 baseline; then one cell per post-training scheme (listed schemes, then generated sweep
/// variants, in the run's order), one per QAT row, and, when the config asks for statistics, one last cell that
/// writes `stats.h5`. A scheme or QAT cell evaluates its one model at every thread count and repeat, exactly as
/// `SweepRunner` evaluates each model; whatever compares rows with each other (ΔF1, flips vs FP32, speed-ups) is
/// computed when the cells are merged (`SweepMerge`), by the same code a one-machine sweep uses. Indices are
/// stable: the same config always gives the same cells in the same order.
///
/// The plan is kept as `plan.json` in the run directory: written by `--plan --run-dir`, by `qbench slurm submit`, or
/// by the first cell that finds none (whichever comes first wins; later ones must agree with it). It fixes the run id
/// and records the config's path and sha256, the `--model` override and the working directory relative paths in
/// the config are resolved against, so every cell and the merge read the same experiment.
public struct SweepPlan: Codable, Sendable, Equatable {
    /// Version of this file's layout (STYLE.md §4).
    public var schemaVersion: Int = 1
    /// `quantbench.sweep-plan`.
    public var kind: String = "quantbench.sweep-plan"
    /// The run id the merged run folder gets (`<name>-<UTC timestamp>`).
    public var run: String
    /// The experiment file, absolute.
    public var config: String
    /// sha256 of the experiment file's bytes.
    public var configSHA256: String
    /// `--model` given to the plan (nil: the config's own `model`).
    public var model: String?
    /// The folder relative paths of the config are resolved against.
    public var workingDirectory: String
    public var cells: [Cell]

    /// One independent cell.
    public struct Cell: Codable, Sendable, Equatable {
        public var index: Int
        /// `baseline`, `scheme`, `sweep` (a generated variant), `qat` or `statistics`.
        public var kind: String
        /// The results rows the cell produces (empty for `statistics`).
        public var rows: [String]

        public init(index: Int, kind: String, rows: [String]) {
            self.index = index
            self.kind = kind
            self.rows = rows
        }

        /// `fp32`, `q8bert-static+qat`, `stats.h5`.
        public var label: String { kind == "statistics" ? "stats.h5" : rows.joined(separator: ", ") }
    }

    public init(run: String, config: String, configSHA256: String, model: String?, workingDirectory: String, cells: [Cell]) {
        self.run = run
        self.config = config
        self.configSHA256 = configSHA256
        self.model = model
        self.workingDirectory = workingDirectory
        self.cells = cells
    }

    enum CodingKeys: String, CodingKey {
        case schemaVersion = "schema_version", kind, run, config, model, cells
        case configSHA256 = "config_sha256", workingDirectory = "working_directory"
    }

    /// The plan of `experiment` (loaded from `configPath` with `model`), with run id `run`.
    /// - Throws: `ExperimentError.invalid` for an experiment that did not come from a file.
    public static func make(_ experiment: Experiment, configPath: String, model: String?, run: String,
                            workingDirectory: URL) throws -> SweepPlan {
        guard let source = experiment.source else {
            throw ExperimentError.invalid("a sweep run in cells needs its experiment file (none was read)")
        }
        var cells: [Cell] = []
        for (i, s) in experiment.schemes.enumerated() {
            let kind = i == 0 ? "baseline" : experiment.variants.contains { $0.scheme.name == s.name } ? "sweep" : "scheme"
            cells.append(Cell(index: cells.count, kind: kind, rows: [s.name]))
        }
        for entry in experiment.qat { cells.append(Cell(index: cells.count, kind: "qat", rows: [entry.name])) }
        if experiment.config.statistics != nil { cells.append(Cell(index: cells.count, kind: "statistics", rows: [])) }
        return SweepPlan(run: run, config: absolute(configPath, in: workingDirectory), configSHA256: source.sha256,
                         model: model, workingDirectory: workingDirectory.standardizedFileURL.path, cells: cells)
    }

    /// Reads the experiment the plan was made from and checks that the file is unchanged.
    /// - Throws: `ExperimentError` naming the config file (changed since the plan, or invalid).
    public func loadExperiment() throws -> Experiment {
        let experiment = try Experiment.load(file: config, model: model, workingDirectory: URL(fileURLWithPath: workingDirectory))
        guard let sha = experiment.source?.sha256, sha == configSHA256 else {
            throw ExperimentError.config(file: config, keyPath: "(file)", line: nil,
                                         message: "changed since the run's plan was made (sha256 "
                                            + "\((experiment.source?.sha256 ?? "none").prefix(16))…, the plan recorded "
                                            + "\(configSHA256.prefix(16))…); start a new run directory")
        }
        return experiment
    }

    /// `qbench sweep CONFIG [--model M] --run-dir DIR --cell I`, as a rerun hint or a scheduler's task command.
    public func cellCommand(_ index: Int?, runDirectory: URL, executable: String = "qbench") -> [String] {
        [executable, "sweep", config] + (model.map { ["--model", $0] } ?? [])
            + ["--run-dir", runDirectory.standardizedFileURL.path] + (index.map { ["--cell", String($0)] } ?? [])
    }

    static func absolute(_ path: String, in directory: URL) -> String {
        (path.hasPrefix("/") ? URL(fileURLWithPath: path) : directory.appendingPathComponent(path)).standardizedFileURL.path
    }
}
