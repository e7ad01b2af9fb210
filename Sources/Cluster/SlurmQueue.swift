import Foundation

/// What Slurm says about jobs: `squeue` for jobs it still holds (`--states=all`: finished ones stay for
/// `MinJobAge`), `sacct` when the cluster keeps accounting. Array tasks are listed one by one (`squeue -r`).
public enum SlurmQueue {
    /// One job or array task: `12_3`, `RUNNING`, the node and the reason (`Dependency`, `None`, …).
    public struct Entry: Sendable, Equatable {
        public var id: String
        public var state: String
        public var node: String
        public var reason: String

        /// Pending, running or about to be (Slurm's states that are not final).
        public var isActive: Bool {
            ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING",
             "STAGE_OUT", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD", "STOPPED"].contains(state)
        }

        /// The array task index of `12_3`, nil for a plain job or an unexpanded `12_[3-5]`.
        public var arrayTask: Int? { id.split(separator: "_").last.flatMap { Int($0) } }
        public var arrayJob: String { String(id.split(separator: "_").first ?? "") }
    }

    /// `squeue -h -r --states=all -j ids -o "%i|%T|%N|%r"`.
    /// - Throws: `ClusterError.scheduler` when squeue fails (an unknown job id is not a failure: it is left out).
    public static func entries(_ ids: [String]) throws -> [Entry] {
        guard !ids.isEmpty else { return [] }
        let r = try SchedulerCommand.run("squeue", ["-h", "-r", "--states=all", "-j", ids.joined(separator: ","),
                                                    "-o", "%i|%T|%N|%r"])
        if r.status != 0 {
            // Every id already purged: squeue says "Invalid job id specified".
            if r.stderr.contains("Invalid job id") { return [] }
            throw ClusterError.scheduler(command: "squeue -j \(ids.joined(separator: ","))",
                                         message: r.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(r.status)")
        }
        return parse(r.stdout)
    }

    static func parse(_ text: String) -> [Entry] {
        text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard f.count >= 4 else { return nil }
            return Entry(id: f[0], state: f[1], node: f[2], reason: f[3])
        }
    }

    /// `sacct -n -P -X -j ids -o JobID,State,ExitCode,NodeList`; nil when sacct is missing or the cluster keeps no
    /// accounting.
    public static func accounting(_ ids: [String]) -> [Entry]? {
        guard !ids.isEmpty, SchedulerCommand.find("sacct") != nil,
              let r = try? SchedulerCommand.run("sacct", ["-n", "-P", "-X", "-j", ids.joined(separator: ","),
                                                          "-o", "JobID,State,ExitCode,NodeList"]),
              r.status == 0 else { return nil }
        return r.stdout.split(separator: "\n").compactMap { line in
            let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            guard f.count >= 4 else { return nil }
            return Entry(id: f[0], state: f[1].split(separator: " ").first.map(String.init) ?? f[1], node: f[3],
                         reason: "exit \(f[2])")
        }
    }
}
