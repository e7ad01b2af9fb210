import Foundation

/// Runs a scheduler's command-line tool (`sbatch`, `squeue`, `sacct`, `scancel`) found on PATH and returns its
/// output: the only way QuantBench talks to a scheduler.
public enum SchedulerCommand {
    /// The tool's absolute path on PATH, nil when it is not installed.
    public static func find(_ tool: String, path: String? = ProcessInfo.processInfo.environment["PATH"]) -> String? {
        for dir in (path ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// Runs `tool args…` and waits for it.
    /// - Throws: `ClusterError.scheduler` when the tool is not on PATH or cannot be started.
    public static func run(_ tool: String, _ args: [String]) throws -> Output {
        guard let exe = find(tool) else {
            throw ClusterError.scheduler(command: tool, message: "not found on PATH (is this a Slurm login node?)")
        }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: exe)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        do { try p.run() } catch {
            throw ClusterError.scheduler(command: tool, message: "cannot start: \(error.localizedDescription)")
        }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    /// Runs `tool args…` and returns its standard output.
    /// - Throws: `ClusterError.scheduler` with the command line and the tool's first error line when it fails.
    public static func checked(_ tool: String, _ args: [String]) throws -> String {
        let r = try run(tool, args)
        guard r.status == 0 else {
            let why = r.stderr.split(separator: "\n").first.map(String.init) ?? "exit status \(r.status)"
            throw ClusterError.scheduler(command: ([tool] + args).joined(separator: " "), message: why)
        }
        return r.stdout
    }
}
