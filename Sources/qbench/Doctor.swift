import ArgumentParser
import TensorCore

/// `qbench doctor`: the machine facts a benchmark or a run manifest depends on.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print CPU model and features, the BLAS library and core in use, and the thread count.")

    @Flag(help: "Also time a 1024×768×768 sgemm on one thread and print GFLOPS.")
    var sgemm = false

    func run() throws {
        let cpu = CPUInfo.current
        print("cpu:          \(cpu.brand)")
        print("features:     \(cpu.features.joined(separator: " "))")
        print("blas:         \(BLASRuntime.config)")
        print("blas core:    \(BLASRuntime.coreName) (\(BLASRuntime.selection.rawValue))")
        print("blas threads: \(BLASRuntime.threads)")
        if sgemm {
            Parallel.setThreads(1)
            print(String(format: "sgemm 1024x768x768, 1 thread: %.1f GFLOPS", BLASRuntime.measureSgemmGFLOPS()))
        }
    }
}
