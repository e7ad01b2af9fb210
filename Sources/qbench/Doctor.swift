import ArgumentParser
import TensorCore

/// `qbench doctor`: the machine facts a benchmark or a run manifest depends on.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print CPU model and features, the int8 kernel family, the bf16 and attention kernels in use, the BLAS "
            + "library and core in use, and the thread count.",
        discussion: """
            The int8 kernel family is the best this CPU supports (amx with the OS permission for AMX tiles, else \
            avx512vnni, avx2, ref); set QBENCH_KERNEL=ref|avx2|avx512vnni|amx|amx_emu|avx512vnni_emu to force one. An unknown or \
            unsupported value keeps the default and is reported here. The bf16 kernel is avx512bf16 where the CPU has \
            it (else ref); the AMX-BF16 kernel (amx, TDPBF16PS numerics, not bit-identical with the others) runs only \
            with QBENCH_KERNEL=amx on a CPU with AMX-BF16. The fused FP32 attention kernel (both numerics) follows \
            the family.
            """)

    @Flag(help: "Also time a 1024×768×768 sgemm on one thread and print GFLOPS.")
    var sgemm = false

    func run() throws {
        let cpu = CPUInfo.current
        print("cpu:          \(cpu.brand)")
        print("features:     \(cpu.features.joined(separator: " "))")
        let amx = ["amx_tile", "amx_int8", "amx_bf16"].map { "\($0)=\(cpu.features.contains($0) ? "yes" : "no")" }
        print("amx:          \(amx.joined(separator: " ")); XTILEDATA permission: \(KernelDispatch.amxPermission.rawValue)")
        print("int8 kernels: \(KernelDispatch.family)")
        print("bf16 kernel:  \(KernelDispatch.bf16Kernel)")
        print("attention:    \(FusedAttention.kernelName) (fused FP32, both numerics)")
        print("fp32 kernels: numerics reproducible: \(Numerics.gemmDescription(.reproducible)); "
              + "numerics fast: \(Numerics.gemmDescription(.fast))")
        print("\(KernelDispatch.environmentVariable): \(KernelDispatch.environmentRequest)")
        print("blas:         \(BLASRuntime.config)")
        print("blas core:    \(BLASRuntime.coreName) (\(BLASRuntime.selection.rawValue))")
        print("blas threads: \(BLASRuntime.threads)")
        if sgemm {
            Parallel.setThreads(1)
            print(String(format: "sgemm 1024x768x768, 1 thread: %.1f GFLOPS", BLASRuntime.measureSgemmGFLOPS()))
        }
    }
}
