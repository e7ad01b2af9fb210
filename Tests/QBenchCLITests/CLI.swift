import _TestSupport
import Foundation

/// Runs the built `qbench` binary (release build next to the test bundle, else .build/release).
enum CLI {
    static var binary: URL {
        let here = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let candidates = [here.appendingPathComponent("qbench"),
                          here.deletingLastPathComponent().appendingPathComponent("qbench"),
                          Fixtures.projectRoot.appendingPathComponent(".build/release/qbench"),
                          Fixtures.projectRoot.appendingPathComponent(".build/debug/qbench")]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) } ?? candidates[2]
    }

    /// A failed precondition of a CLI test (a failure, not a skip).
    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs qbench in `cwd` (default: the project root) with `env` added to this process's environment and the
    /// variables `unset` removed.
    static func run(_ args: [String], env: [String: String] = [:], unset: [String] = [], cwd: URL? = nil) throws -> Result {
        try run(executable: binary, args, env: env, unset: unset, cwd: cwd)
    }

    /// Runs a tool found on PATH (`/usr/bin/env name args…`).
    static func runTool(_ name: String, _ args: [String], env: [String: String] = [:]) throws -> Result {
        try run(executable: URL(fileURLWithPath: "/usr/bin/env"), [name] + args, env: env, unset: [], cwd: nil)
    }

    static func run(executable: URL, _ args: [String], env: [String: String], unset: [String], cwd: URL?) throws -> Result {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        p.currentDirectoryURL = cwd ?? Fixtures.projectRoot
        var environment = ProcessInfo.processInfo.environment
        for (k, v) in env { environment[k] = v }
        for k in unset { environment[k] = nil }
        p.environment = environment
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self))
    }

    /// A fresh temporary directory.
    static func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("qbench-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Copies the tiny random BERT fixture into a temp folder the test may modify.
    static func tinyModelCopy() throws -> URL {
        let dir = try tempDir().appendingPathComponent("model")
        try FileManager.default.copyItem(at: Fixtures.tinyBert, to: dir)
        // Fixture files are read-only; make the copies writable.
        for f in try FileManager.default.contentsOfDirectory(atPath: dir.path) {
            chmod(dir.appendingPathComponent(f).path, 0o644)
        }
        chmod(dir.path, 0o755)
        return dir
    }
}
