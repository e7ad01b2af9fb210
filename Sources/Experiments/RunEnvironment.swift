import Foundation
import TensorCore

/// QuantBench's version, written into manifests and citations (and printed by `qbench --version`).
public enum QuantBenchVersion {
    public static let current = "0.1.0"
}

/// The machine and build a run happened on (the manifest's `environment`).
public struct RunEnvironment: Codable, Sendable, Equatable {
    public var quantbenchVersion: String
    /// Git commit of the source tree this binary was built from (`git rev-parse HEAD` there), or "unknown".
    public var gitCommit: String
    /// True when that tree had uncommitted changes (`git status --porcelain` non-empty) at run time.
    public var gitDirty: Bool?
    /// Compiler the binary was built with (`#if compiler`).
    public var swiftCompiler: String
    /// First line of `swift --version` on this machine at run time, when a toolchain is on PATH.
    public var swiftRuntime: String?
    /// `PRETTY_NAME` of /etc/os-release and the kernel (`uname -sr`).
    public var os: String
    public var cpu: String
    public var cpuFeatures: [String]
    public var blasCore: String
    public var blasConfig: String
    public var logicalCores: Int

    enum CodingKeys: String, CodingKey {
        case quantbenchVersion = "quantbench_version", gitCommit = "git_commit", gitDirty = "git_dirty"
        case swiftCompiler = "swift_compiler", swiftRuntime = "swift_runtime", os, cpu
        case cpuFeatures = "cpu_features", blasCore = "blas_core", blasConfig = "blas_config"
        case logicalCores = "logical_cores"
    }

    /// The running process's environment.
    public static func capture() -> RunEnvironment {
        let (commit, dirty) = gitState()
        let cpu = CPUInfo.current
        return RunEnvironment(quantbenchVersion: QuantBenchVersion.current, gitCommit: commit, gitDirty: dirty,
                              swiftCompiler: compilerVersion, swiftRuntime: run("swift", ["--version"])?.firstLine,
                              os: osDescription, cpu: cpu.brand, cpuFeatures: cpu.features,
                              blasCore: BLASRuntime.coreName, blasConfig: BLASRuntime.config,
                              logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// The source tree this file was compiled in (`Sources/Experiments/…` → the package root).
    static let sourceRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func gitState() -> (String, Bool?) {
        guard let head = run("git", ["-C", sourceRoot.path, "rev-parse", "HEAD"])?.firstLine, head.count == 40 else {
            return ("unknown", nil)
        }
        let status = run("git", ["-C", sourceRoot.path, "status", "--porcelain", "--untracked-files=no"])
        return (head, status.map { !$0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty })
    }

    static var compilerVersion: String {
        #if compiler(>=6.4)
        return "Swift ≥ 6.4"
        #elseif compiler(>=6.3.1)
        return "Swift 6.3.1"
        #elseif compiler(>=6.3)
        return "Swift 6.3"
        #elseif compiler(>=6.2)
        return "Swift 6.2"
        #elseif compiler(>=6.0)
        return "Swift 6.0–6.1"
        #else
        return "Swift < 6"
        #endif
    }

    static var osDescription: String {
        var name = "unknown OS"
        if let text = try? String(contentsOfFile: "/etc/os-release", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("PRETTY_NAME=") }) {
            name = line.dropFirst("PRETTY_NAME=".count).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        var u = utsname()
        uname(&u)
        func field<T>(_ value: T) -> String {
            withUnsafeBytes(of: value) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
        }
        return "\(name) (\(field(u.sysname)) \(field(u.release)) \(field(u.machine)))"
    }

    /// Output of `tool args` (found on PATH), or nil when it cannot run or fails.
    static func run(_ tool: String, _ args: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [tool] + args
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

extension String {
    fileprivate var firstLine: String {
        String(split(separator: "\n").first ?? "").trimmingCharacters(in: .whitespaces)
    }
}
