import Foundation

/// Where and how one cell of a sweep run on several machines was measured (the manifest's `cells`; nil for a sweep
/// that ran in one process). A cell is one results row (a scheme or a QAT row, at every thread count and repeat)
/// or the `stats.h5` statistics; `qbench sweep --merge` lists every cell it merged, so a reader can tell which rows'
/// timings were taken on which machine and whether that machine was shared.
public struct RunCell: Codable, Sendable, Equatable {
    /// The cell's index in the sweep's plan (`qbench sweep CONFIG --plan`).
    public var index: Int
    /// `baseline`, `scheme`, `sweep`, `qat` or `statistics`.
    public var kind: String
    /// The results rows the cell produced (empty for the statistics cell).
    public var rows: [String]
    /// Host name of the machine that ran it.
    public var host: String
    /// CPU model (`RunEnvironment.cpu` of that machine).
    public var cpu: String
    /// The C kernel family the cell's process used (`qbench doctor`).
    public var kernelFamily: String
    /// The OpenBLAS core the cell's process used.
    public var blasCore: String
    /// True when the scheduler was asked for the whole node (`sbatch --exclusive`), false when the node could be
    /// shared with other jobs, nil when the cell ran outside a scheduler (not known).
    public var exclusive: Bool?
    /// The scheduler's name for the task (`slurm job 41_3`, `kubernetes index 3`), nil outside a scheduler.
    public var scheduler: String?
    /// ISO 8601 UTC.
    public var started: String
    public var finished: String

    public init(index: Int, kind: String, rows: [String], host: String, cpu: String, kernelFamily: String,
                blasCore: String, exclusive: Bool?, scheduler: String?, started: String, finished: String) {
        self.index = index
        self.kind = kind
        self.rows = rows
        self.host = host
        self.cpu = cpu
        self.kernelFamily = kernelFamily
        self.blasCore = blasCore
        self.exclusive = exclusive
        self.scheduler = scheduler
        self.started = started
        self.finished = finished
    }

    enum CodingKeys: String, CodingKey {
        case index, kind, rows, host, cpu, scheduler, exclusive, started, finished
        case kernelFamily = "kernel_family", blasCore = "blas_core"
    }
}
