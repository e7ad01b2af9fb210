import XCTest
import _CKernels

/// The single dispatch point: what it picks here, and what forcing does.
final class DispatchTests: XCTestCase {
    func testDefaultIsBestSupported() {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        let expected: String
        if f.avx2 != 0 && f.fma != 0 && f.f16c != 0 && f.avx512f != 0 && f.avx512bw != 0 && f.avx512vl != 0
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
