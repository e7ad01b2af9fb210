import _CKernels
import Foundation
import XCTest

/// The single dispatch point: what it picks here, and what forcing does.
final class DispatchTests: XCTestCase {
    /// Without QBENCH_KERNEL: amx (CPU + OS permission), else avx512vnni, avx2, ref. With it applied: that family.
    func testDefaultIsBestSupported() {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        let expected: String
        let avx2 = f.avx2 != 0 && f.fma != 0 && f.f16c != 0
        if qb_qgemm_env_status() == 1, let forced = ProcessInfo.processInfo.environment["QBENCH_KERNEL"] {
            expected = forced
        } else if avx2 && f.amx_tile != 0 && f.amx_int8 != 0 && qb_cpu_amx_permission() == 1 {
            expected = "amx"
        } else if avx2 && f.avx512f != 0 && f.avx512bw != 0 && f.avx512vl != 0
            && f.avx512dq != 0 && f.avx512_vnni != 0 {
            expected = "avx512vnni"
        } else if f.avx2 != 0 && f.fma != 0 && f.f16c != 0 {
            expected = "avx2"
        } else {
            expected = "ref"
        }
        XCTAssertEqual(defaultKernelName, expected)
    }

    func testForceUnknownOrUnsupportedLeavesChoice() {
        XCTAssertEqual(qb_qgemm_force_kernel("no-such-kernel"), 0)
        XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), defaultKernelName)
        XCTAssertEqual(qb_qgemm_force_kernel("ref"), 1)
        XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), "ref")
        XCTAssertEqual(qb_qgemm_force_kernel(defaultKernelName), 1)
    }

    /// AMX is chosen only with the CPU flags and the OS permission; without them forcing it fails and changes
    /// nothing, while the emulated family is always available and never the default.
    func testAMXAvailabilityAndFallback() {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        let permission = qb_cpu_amx_permission()
        XCTAssertEqual(permission, qb_cpu_amx_permission(), "asked once, same answer")
        if f.amx_tile == 0 {
            XCTAssertEqual(permission, -1, "no AMX-TILE: permission is not asked for")
        }
        let amxUsable = f.amx_tile != 0 && f.amx_int8 != 0 && permission == 1 && f.avx2 != 0
        XCTAssertEqual(qb_qgemm_force_kernel("amx"), amxUsable ? 1 : 0)
        if !amxUsable {
            XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), defaultKernelName)
            XCTAssertNotEqual(defaultKernelName, "amx")
        }
        XCTAssertNotEqual(defaultKernelName, "amx_emu")
        XCTAssertEqual(qb_qgemm_force_kernel("amx_emu"), 1)
        XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), "amx_emu")
        XCTAssertEqual(qb_qgemm_force_kernel(defaultKernelName), 1)
        XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), defaultKernelName)
    }

    /// avx512vnni_emu (every AVX-512 kernel source on emulated intrinsics, the AVX2 kernels native) can be forced
    /// exactly where the avx2 family can, names its emulated kernels, and is never the default.
    func testEmulatedAVX512FamilyNeedsOnlyTheAVX2Family() {
        XCTAssertNotEqual(defaultKernelName, "avx512vnni_emu")
        XCTAssertEqual(qb_qgemm_force_kernel("avx512vnni_emu"), cpuRunsAVX2Family ? 1 : 0)
        if cpuRunsAVX2Family {
            XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), "avx512vnni_emu")
            XCTAssertEqual(String(cString: qb_vmath_kernel_name()), "avx512_emu")
            XCTAssertEqual(String(cString: qb_sgemm_kernel_name()), "avx512_emu-6x32")
        }
        XCTAssertEqual(qb_qgemm_force_kernel(defaultKernelName), 1)
        XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), defaultKernelName)
    }

    /// This test process normally runs without QBENCH_KERNEL; the variable itself is tested through `qbench doctor`.
    func testEnvironmentStatusMatchesEnvironment() {
        let env = ProcessInfo.processInfo.environment["QBENCH_KERNEL"] ?? ""
        let status = qb_qgemm_env_status()
        if env.isEmpty {
            XCTAssertEqual(status, 0)
        } else {
            XCTAssertTrue([1, -1, -2].contains(status), "QBENCH_KERNEL=\(env): status \(status)")
        }
    }

    /// A pack keeps its layout's kernel even if another family is forced afterwards.
    func testPackRemembersItsKernel() {
        let b: [Int8] = (0..<(10 * 9)).map { Int8(truncatingIfNeeded: $0 * 37) }
        let a: [UInt8] = (0..<(3 * 9)).map { UInt8(truncatingIfNeeded: $0 * 91) }
        let p = pack(b, n: 10, k: 9)
        defer { qb_packed_free(p) }
        XCTAssertEqual(String(cString: qb_packed_kernel_name(p)), defaultKernelName)
        XCTAssertEqual(qb_qgemm_force_kernel("ref"), 1)
        defer { _ = qb_qgemm_force_kernel(defaultKernelName) }
        var c = [Int32](repeating: 0, count: 30)
        packedGemm(a, signed: false, p, m: 3, k: 9, rows: 0..<3, cols: 0..<10, into: &c, ldc: 10)
        XCTAssertEqual(c, refGemm(a, signed: false, b, m: 3, n: 10, k: 9))
    }
}
