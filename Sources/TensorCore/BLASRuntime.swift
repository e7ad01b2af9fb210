import COpenBLAS
import Foundation

/// OpenBLAS start-up: which kernel family ("core") it uses, and how many threads.
///
/// Debian's OpenBLAS 0.3.21 is built with DYNAMIC_ARCH and picks its kernels in a library constructor,
/// i.e. before `main` runs. On CPUs newer than the library (e.g. Sapphire Rapids with AVX-512 + VNNI) it
/// does not recognise the CPUID and silently falls back to "Prescott" kernels: SSE3 only, ~4.5x slower sgemm.
/// `OPENBLAS_CORETYPE` overrides the choice, but it is read only by that constructor, so setting it with
/// `setenv` from a running process changes nothing. We therefore **re-exec** the process (`execv` of
/// `/proc/self/exe` with the same arguments) with `OPENBLAS_CORETYPE` set; the new image loads OpenBLAS
/// afresh and reads the variable. Re-exec was chosen over `dlopen`-ing OpenBLAS after `setenv` because it
/// keeps ordinary link-time binding of CBLAS (no function-pointer table) and costs ~5 ms once per process.
/// A guard variable (`QBENCH_BLAS_REEXEC`) prevents loops; a user's own `OPENBLAS_CORETYPE` always wins.
public enum BLASRuntime {
    /// OpenBLAS cores whose sgemm kernels use neither AVX2 nor AVX-512: a fallback on a modern CPU.
    public static let fallbackCores: Set<String> = [
        "Prescott", "Katmai", "Coppermine", "Northwood", "Banias", "Core2", "Penryn", "Dunnington",
        "Nehalem", "Atom", "Athlon", "Opteron", "Opteron_SSE3", "Barcelona", "Bobcat", "Nano",
        "Sandybridge", "Bulldozer", "Unknown", "",
    ]

    /// The core OpenBLAS is using in this process, e.g. "SkylakeX", "Haswell", "Zen", "Prescott".
    public static var coreName: String {
        guard let p = openblas_get_corename() else { return "unknown" }
        return String(cString: p)
    }

    /// OpenBLAS's build configuration string.
    public static var config: String {
        guard let p = openblas_get_config() else { return "unknown" }
        return String(cString: p)
    }

    /// Decides whether OpenBLAS must be restarted with another core.
    ///
    /// - Returns: the `OPENBLAS_CORETYPE` to use, or nil when the current core is fine, the user set
    ///   `OPENBLAS_CORETYPE` themselves, or the CPU has neither AVX2 nor AVX-512.
    public static func recommendedCore(current: String, cpu: CPUInfo, userCoreType: String?) -> String? {
        if let user = userCoreType, !user.isEmpty { return nil }
        guard fallbackCores.contains(current) else { return nil }
        if cpu.hasAVX512 { return "SkylakeX" }
        if cpu.hasAVX2 { return "Haswell" }
        return nil
    }

    /// How the core in use was chosen, for `qbench doctor` and run manifests.
    public enum Selection: String, Sendable {
        /// OpenBLAS's own detection was kept.
        case detected
        /// The user's `OPENBLAS_CORETYPE` was honoured.
        case user
        /// QuantBench replaced a fallback core and re-executed the process.
        case corrected
    }

    /// How the core was chosen in this process.
    public static var selection: Selection {
        let env = ProcessInfo.processInfo.environment
        if env["QBENCH_BLAS_REEXEC"] == "1" { return .corrected }
        if let u = env["OPENBLAS_CORETYPE"], !u.isEmpty { return .user }
        return .detected
    }

    /// Call first thing in `main`: if OpenBLAS fell back to a slow core on a CPU with AVX2/AVX-512, re-exec
    /// this process with `OPENBLAS_CORETYPE` set. Returns normally when no restart is needed or possible.
    public static func ensureOptimalCore() {
        let env = ProcessInfo.processInfo.environment
        if env["QBENCH_BLAS_REEXEC"] == "1" { return }
        // QBENCH_IGNORE_USER_CORETYPE=1 lets a test force a slow core with OPENBLAS_CORETYPE and watch the
        // correction happen, exercising the real re-exec.
        let user = env["QBENCH_IGNORE_USER_CORETYPE"] == "1" ? nil : env["OPENBLAS_CORETYPE"]
        guard let core = recommendedCore(current: coreName, cpu: .current, userCoreType: user) else { return }
        setenv("OPENBLAS_CORETYPE", core, 1)
        setenv("QBENCH_BLAS_REEXEC", "1", 1)
        let args = CommandLine.arguments
        var cargs: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) }
        cargs.append(nil)
        execv("/proc/self/exe", &cargs)
        // execv returned: the restart failed. Carry on with the slow core; `doctor` will show it.
        unsetenv("OPENBLAS_CORETYPE")
        unsetenv("QBENCH_BLAS_REEXEC")
    }

    /// Threads OpenBLAS uses for one call.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(max(1, newValue))) }
    }

    /// Best of 5 timings of one `[m, k] × [k, n]` sgemm, in GFLOPS (for `qbench doctor --sgemm`).
    public static func measureSgemmGFLOPS(m: Int = 1024, n: Int = 768, k: Int = 768) -> Double {
        let a = [Float](repeating: 0.5, count: m * k), b = [Float](repeating: 0.25, count: k * n)
        var c = [Float](repeating: 0, count: m * n)
        var best = Double.infinity
        for _ in 0..<5 {
            let t0 = DispatchTime.now().uptimeNanoseconds
            Gemm.sgemm(m: m, n: n, k: k, a: a, lda: k, b: b, ldb: n, c: &c, ldc: n)
            best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return 2 * Double(m * n * k) / best / 1e9
    }
}
