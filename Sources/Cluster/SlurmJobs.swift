import Foundation
import RunRecords
import _Support

/// `DIR/slurm/jobs.json`: every submission of a run directory's cells (the first by `qbench slurm submit`, then one
/// per `qbench slurm resubmit`), so that `status` and `resubmit` know which Slurm jobs to ask about.
public struct SlurmJobs: Codable, Sendable {
    public var schemaVersion: Int = 1
    public var options: SlurmOptions
    /// The `qbench` binary the scripts run.
    public var qbench: String
    public var submissions: [Submission]

    public struct Submission: Codable, Sendable {
        /// The array job's id (`sbatch --parsable`), and the cells it runs.
        public var arrayJob: String
        public var cells: [Int]
        /// The merge job's id.
        public var mergeJob: String
        /// ISO 8601 UTC.
        public var submitted: String

        enum CodingKeys: String, CodingKey {
            case cells, submitted
            case arrayJob = "array_job", mergeJob = "merge_job"
        }
    }

    enum CodingKeys: String, CodingKey { case schemaVersion = "schema_version", options, qbench, submissions }

    public static func url(_ runDirectory: URL) -> URL { SlurmScripts.folder(runDirectory).appendingPathComponent("jobs.json") }

    /// Reads `DIR/slurm/jobs.json`; nil when the directory was never submitted.
    /// - Throws: `ClusterError.runDirectory` naming the file and key of a malformed one.
    public static func read(_ runDirectory: URL) throws -> SlurmJobs? {
        let url = url(runDirectory)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        do { return try JSONDecoder().decode(SlurmJobs.self, from: data) } catch {
            throw ClusterError.runDirectory(path: url.path, message: "key \(DecodingErrorText.keyPath(error)): \(DecodingErrorText.message(error))")
        }
    }

    /// Writes it atomically.
    public func write(_ runDirectory: URL) throws {
        try AtomicFile.write(try RunManifest.encoder.encode(self), to: Self.url(runDirectory).path)
    }
}
