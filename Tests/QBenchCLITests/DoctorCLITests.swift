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
