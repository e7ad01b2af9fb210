import _CKernels

/// How the engine computes FP32: `reproducible` (the same bits on every x86-64 CPU, ISA and thread count) or
/// `fast` (OpenBLAS's sgemm and the vector math tuned per ISA; the last bits follow the BLAS core and the
/// thread split). Recorded in a run's manifest as `numerics`.
///
/// `reproducible`: `Gemm.sgemm` is `qb_sgemm` (each `C[m, n]` one FMA chain over k = 0..<K, qb_sgemm.h) and
/// `Elementwise` runs the `_det` kernels of qb_vmath.h (one polynomial sequence for exp/erf/tanh in every ISA,
/// sums in a fixed 16-lane tree). Integer kernels are exact in both modes.
public enum NumericsMode: String, Codable, CaseIterable, Sendable {
    case reproducible
    case fast
}

/// The process-wide numerics mode (`fast` unless a command sets it: `sweep`, `stats` and `reproduce` default to
/// `reproducible`). Set it before a model runs, not while kernels run on other threads.
public enum Numerics {
    private static var _mode: NumericsMode = .fast

    public static var mode: NumericsMode { _mode }

    public static func setMode(_ mode: NumericsMode) { _mode = mode }

    /// Runs `body` in `mode`, restoring the previous mode afterwards.
    public static func with<T>(_ mode: NumericsMode, _ body: () throws -> T) rethrows -> T {
        let saved = _mode
        _mode = mode
        defer { _mode = saved }
        return try body()
    }

    /// The deterministic GEMM micro-kernel of the active kernel family: `scalar`, `avx2-6x16` or `avx512-6x32`.
    public static var gemmKernel: String { String(cString: qb_sgemm_kernel_name()) }

    /// What ran the FP32 GEMMs in `mode`: `qb_sgemm <micro-kernel>` or `OpenBLAS <core>`.
    public static func gemmDescription(_ mode: NumericsMode) -> String {
        mode == .reproducible ? "qb_sgemm \(gemmKernel)" : "OpenBLAS \(BLASRuntime.coreName)"
    }
}
