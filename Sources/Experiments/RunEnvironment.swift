import Foundation
import TensorCore
import _Support

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
        let (commit, dirty) = BuildInfo.gitState()
        let cpu = CPUInfo.current
        return RunEnvironment(quantbenchVersion: QuantBenchVersion.current, gitCommit: commit, gitDirty: dirty,
                              swiftCompiler: BuildInfo.compilerVersion, swiftRuntime: BuildInfo.swiftRuntime,
                              os: BuildInfo.osDescription, cpu: cpu.brand, cpuFeatures: cpu.features,
                              blasCore: BLASRuntime.coreName, blasConfig: BLASRuntime.config,
                              logicalCores: ProcessInfo.processInfo.activeProcessorCount)
    }
}
