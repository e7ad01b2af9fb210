import _CKernels
import Foundation

/// What the one kernel dispatch (Sources/_CKernels/qb_dispatch.c) chose for this process, and why: the family
/// every int8 GEMM and vector-math kernel uses ("amx", "avx512vnni", "avx2", "ref", or the forced-only "amx_emu" and "avx512vnni_emu"),
/// what it made of `QBENCH_KERNEL`, and whether Linux let the process use AMX tiles.
public enum KernelDispatch {
    /// The environment variable a user sets to force a kernel family by name (read once, at the first kernel call).
    public static let environmentVariable = "QBENCH_KERNEL"

    /// The family in use.
    public static var family: String { String(cString: qb_qgemm_kernel_name()) }

    /// The bf16 GEMM kernel a `bf16` layer packed now runs (`qb_bf16_kernel_name`): "avx512bf16", "amx" (only with
    /// QBENCH_KERNEL=amx on a CPU with AMX-BF16: TDPBF16PS numerics, qb_bf16.h), "ref", or under the forced
    /// emulation families "avx512bf16_emu" / "amx_emu".
    public static var bf16Kernel: String { String(cString: qb_bf16_kernel_name()) }

    /// Forces `name` for every kernel of the process (`qb_qgemm_force_kernel`; tests). Returns false, changing
    /// nothing, for an unknown family or one this CPU/OS cannot run.
    @discardableResult
    public static func force(_ name: String) -> Bool { qb_qgemm_force_kernel(name) == 1 }

    public enum EnvironmentRequest: Equatable, Sendable, CustomStringConvertible {
        case unset
        case applied(String)
        /// Not a family name; the default was kept.
        case unknown(String)
        /// A family this CPU or OS cannot run; the default was kept.
        case unsupported(String)

        public var description: String {
            switch self {
            case .unset: return "not set"
            case .applied(let name): return "\(name) (applied)"
            case .unknown(let name): return "\(name) is not a kernel family (ref, avx2, avx512vnni, amx, amx_emu, avx512vnni_emu); default kept"
            case .unsupported(let name): return "\(name) is not supported on this CPU/OS; default kept"
            }
        }
    }

    public static var environmentRequest: EnvironmentRequest {
        let value = ProcessInfo.processInfo.environment[environmentVariable] ?? ""
        switch qb_qgemm_env_status() {
        case 1: return .applied(value)
        case -1: return .unknown(value)
        case -2: return .unsupported(value)
        default: return .unset
        }
    }

    public enum AMXPermission: String, Sendable {
        case granted
        case denied = "denied by the OS"
        case notRequested = "not requested (no AMX-TILE)"
    }

    /// Linux's answer to arch_prctl(ARCH_REQ_XCOMP_PERM, XTILEDATA), asked once.
    public static var amxPermission: AMXPermission {
        switch qb_cpu_amx_permission() {
        case 1: return .granted
        case 0: return .denied
        default: return .notRequested
        }
    }
}
