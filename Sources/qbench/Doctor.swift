import ArgumentParser
import TensorCore

/// `qbench doctor`: the machine facts a benchmark or a run manifest depends on.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print CPU model and features, the BLAS library and core in use, and the thread count.")

    func run() throws {
        let cpu = CPUInfo.current
        print("cpu:          \(cpu.brand)")
        print("features:     \(cpu.features.joined(separator: " "))")
        print("blas:         \(BLASRuntime.config)")
        print("blas core:    \(BLASRuntime.coreName) (\(BLASRuntime.selection.rawValue))")
        print("blas threads: \(BLASRuntime.threads)")
    }
}
