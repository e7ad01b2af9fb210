import _TestSupport
import Foundation
import XCTest

/// `qbench doctor` and the OpenBLAS core correction, through the real binary (re-exec included).
final class DoctorCLITests: XCTestCase {
    func testDoctorReportsCPUAndCore() throws {
        let r = try CLI.run(["doctor"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("blas core:"), r.stdout)
        XCTAssertTrue(r.stdout.contains("features:"), r.stdout)
    }

    /// The kernel family and AMX state are printed; QBENCH_KERNEL forces a family, and a value the dispatcher cannot
    /// use keeps the default and is reported as such.
    func testDoctorReportsKernelFamilyAndQBENCHKERNEL() throws {
        let plain = try CLI.run(["doctor"], env: ["QBENCH_KERNEL": ""])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertTrue(plain.stdout.contains("XTILEDATA permission:"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("QBENCH_KERNEL: not set"), plain.stdout)
        let line = try XCTUnwrap(plain.stdout.split(separator: "\n").first { $0.hasPrefix("int8 kernels:") })
        let defaultFamily = String(line.dropFirst("int8 kernels:".count).trimmingCharacters(in: .whitespaces))
        XCTAssertTrue(["ref", "avx2", "avx512vnni", "amx"].contains(defaultFamily), plain.stdout)
        // The bf16 kernel: AVX512-BF16 or the reference by default (never AMX-BF16 unless QBENCH_KERNEL=amx).
        let bf16 = try XCTUnwrap(plain.stdout.split(separator: "\n").first { $0.hasPrefix("bf16 kernel:") })
        XCTAssertTrue(["bf16 kernel:  avx512bf16", "bf16 kernel:  ref"].contains(String(bf16)), plain.stdout)

        let ref = try CLI.run(["doctor"], env: ["QBENCH_KERNEL": "ref"])
        XCTAssertEqual(ref.status, 0, ref.stderr)
        XCTAssertTrue(ref.stdout.contains("int8 kernels: ref\n"), ref.stdout)
        XCTAssertTrue(ref.stdout.contains("QBENCH_KERNEL: ref (applied)"), ref.stdout)
        XCTAssertTrue(ref.stdout.contains("bf16 kernel:  ref\n"), ref.stdout)
        XCTAssertTrue(ref.stdout.contains("attention:    scalar (fused FP32, both numerics)\n"), ref.stdout)
        let attention = try XCTUnwrap(plain.stdout.split(separator: "\n").first { $0.hasPrefix("attention:") })
        let expected = ["ref": "scalar", "avx2": "avx2-6x16", "avx512vnni": "avx512-8x32", "amx": "avx512-8x32"]
        XCTAssertEqual(String(attention), "attention:    \(expected[defaultFamily]!) (fused FP32, both numerics)")

        let emu = try CLI.run(["doctor"], env: ["QBENCH_KERNEL": "amx_emu"])
        XCTAssertTrue(emu.stdout.contains("int8 kernels: amx_emu\n"), emu.stdout)
        XCTAssertTrue(emu.stdout.contains("bf16 kernel:  amx_emu\n"), emu.stdout)

        let bogus = try CLI.run(["doctor"], env: ["QBENCH_KERNEL": "avx9000"])
        XCTAssertEqual(bogus.status, 0, bogus.stderr)
        XCTAssertTrue(bogus.stdout.contains("int8 kernels: \(defaultFamily)\n"), bogus.stdout)
        XCTAssertTrue(bogus.stdout.contains("QBENCH_KERNEL: avx9000 is not a kernel family"), bogus.stdout)

        let amx = try CLI.run(["doctor"], env: ["QBENCH_KERNEL": "amx"])
        XCTAssertEqual(amx.status, 0, amx.stderr)
        if defaultFamily == "amx" {
            XCTAssertTrue(amx.stdout.contains("QBENCH_KERNEL: amx (applied)"), amx.stdout)
            if plain.stdout.contains("amx_bf16=yes") {
                XCTAssertTrue(amx.stdout.contains("bf16 kernel:  amx\n"), amx.stdout)
            }
        } else {
            // No AMX here (or no permission): the default stays and the request is reported.
            XCTAssertTrue(amx.stdout.contains("int8 kernels: \(defaultFamily)\n"), amx.stdout)
            XCTAssertTrue(amx.stdout.contains("QBENCH_KERNEL: amx is not supported on this CPU/OS; default kept"),
                          amx.stdout)
        }
    }

    func testUserCoreTypeWins() throws {
        let r = try CLI.run(["doctor"], env: ["OPENBLAS_CORETYPE": "Prescott"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("Prescott (user)"), r.stdout)
    }

    /// A Prescott fallback on a CPU with AVX2/AVX-512 is replaced by re-executing with the right core.
    func testFallbackCoreIsCorrectedByReexec() throws {
        let r = try CLI.run(["doctor"], env: ["OPENBLAS_CORETYPE": "Prescott", "QBENCH_IGNORE_USER_CORETYPE": "1"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let doctor = try CLI.run(["doctor"])
        guard doctor.stdout.contains("avx2") else { throw XCTSkip("CPU without AVX2: nothing to correct") }
        let expected = doctor.stdout.contains("avx512f") ? "SkylakeX (corrected)" : "Haswell (corrected)"
        XCTAssertTrue(r.stdout.contains(expected), r.stdout)
    }
}
