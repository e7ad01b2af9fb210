import Foundation
import RunRecords
import TensorCore
import _Support

extension RunEnvironment {
    /// The running process's environment; `fp32Gemm` as `numerics` runs it.
    public static func capture(numerics: NumericsMode = Numerics.mode) -> RunEnvironment {
        let (commit, dirty) = BuildInfo.gitState()
        let cpu = CPUInfo.current
        return RunEnvironment(quantbenchVersion: QuantBenchVersion.current, gitCommit: commit, gitDirty: dirty,
                              swiftCompiler: BuildInfo.compilerVersion, swiftRuntime: BuildInfo.swiftRuntime,
                              os: BuildInfo.osDescription, cpu: cpu.brand, cpuFeatures: cpu.features,
                              blasCore: BLASRuntime.coreName, blasConfig: BLASRuntime.config,
                              logicalCores: ProcessInfo.processInfo.activeProcessorCount,
                              kernelFamily: KernelDispatch.family, fp32Gemm: Numerics.gemmDescription(numerics),
                              bf16Kernel: KernelDispatch.bf16Kernel)
    }
}
