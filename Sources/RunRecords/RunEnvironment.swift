import Foundation
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
    /// Kernel family of qb_dispatch.c (`avx512vnni`, `avx2`, …) and the FP32 GEMM that ran (`qb_sgemm avx512-6x32`
    /// or `OpenBLAS Haswell`); nil in manifests written before they were recorded.
    public var kernelFamily: String?
    public var fp32Gemm: String?
    /// The bf16 GEMM kernel a `bf16` layer ran (`avx512bf16`, `amx`, `ref`, …; `KernelDispatch.bf16Kernel`); nil in
    /// manifests written before it was recorded.
    public var bf16Kernel: String?

    public init(quantbenchVersion: String, gitCommit: String, gitDirty: Bool?, swiftCompiler: String, swiftRuntime: String?,
                os: String, cpu: String, cpuFeatures: [String], blasCore: String, blasConfig: String, logicalCores: Int,
                kernelFamily: String? = nil, fp32Gemm: String? = nil, bf16Kernel: String? = nil) {
        self.quantbenchVersion = quantbenchVersion
        self.gitCommit = gitCommit
        self.gitDirty = gitDirty
        self.swiftCompiler = swiftCompiler
        self.swiftRuntime = swiftRuntime
        self.os = os
        self.cpu = cpu
        self.cpuFeatures = cpuFeatures
        self.blasCore = blasCore
        self.blasConfig = blasConfig
        self.logicalCores = logicalCores
        self.kernelFamily = kernelFamily
        self.fp32Gemm = fp32Gemm
        self.bf16Kernel = bf16Kernel
    }

    enum CodingKeys: String, CodingKey {
        case quantbenchVersion = "quantbench_version", gitCommit = "git_commit", gitDirty = "git_dirty"
        case swiftCompiler = "swift_compiler", swiftRuntime = "swift_runtime", os, cpu
        case cpuFeatures = "cpu_features", blasCore = "blas_core", blasConfig = "blas_config"
        case logicalCores = "logical_cores", kernelFamily = "kernel_family", fp32Gemm = "fp32_gemm"
        case bf16Kernel = "bf16_kernel"
    }
}
