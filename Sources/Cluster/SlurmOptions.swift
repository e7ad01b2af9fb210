/// What `qbench slurm submit` asks Slurm for (each becomes an `#SBATCH` line; nil leaves Slurm's default).
public struct SlurmOptions: Codable, Sendable, Equatable {
    /// `--partition`.
    public var partition: String?
    /// `--time` (Slurm's formats: `MM`, `HH:MM:SS`, `D-HH`…).
    public var time: String?
    /// `--cpus-per-task` of each cell (default: the config's largest thread count).
    public var cpusPerTask: Int
    /// `%K` of `--array=0-(n-1)%K`: at most K cells at once (nil: no limit).
    public var arrayParallelism: Int?
    /// `--exclusive`: each cell gets a whole node, so its timings are not disturbed by other jobs.
    public var exclusive: Bool

    public init(partition: String? = nil, time: String? = nil, cpusPerTask: Int, arrayParallelism: Int? = nil,
                exclusive: Bool = false) {
        self.partition = partition
        self.time = time
        self.cpusPerTask = cpusPerTask
        self.arrayParallelism = arrayParallelism
        self.exclusive = exclusive
    }

    enum CodingKeys: String, CodingKey {
        case partition, time, exclusive
        case cpusPerTask = "cpus_per_task", arrayParallelism = "array_parallelism"
    }

    /// Throws `ClusterError.invalid` naming the option whose value cannot be a valid `#SBATCH` line.
    public func validate() throws {
        if cpusPerTask < 1 { throw ClusterError.invalid("--cpus-per-task must be ≥ 1, got \(cpusPerTask)") }
        if let k = arrayParallelism, k < 1 { throw ClusterError.invalid("--array-parallelism must be ≥ 1, got \(k)") }
        for (name, value) in [("--partition", partition), ("--time", time)] {
            guard let value else { continue }
            guard !value.isEmpty, value.allSatisfy({ $0.isLetter || $0.isNumber || "-_:.,".contains($0) }) else {
                throw ClusterError.invalid("\(name) '\(value)': expected letters, digits and - _ : . , only")
            }
        }
    }
}
