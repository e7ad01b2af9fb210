import XCTest
import TensorCore

final class BLASRuntimeTests: XCTestCase {
    let avx512 = CPUInfo(brand: "x", features: ["avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512_vnni"])
    let avx2 = CPUInfo(brand: "x", features: ["avx", "avx2", "fma"])
    let old = CPUInfo(brand: "x", features: ["sse4.2"])

    func testPrescottOnAVX512IsCorrectedToSkylakeX() {
        XCTAssertEqual(BLASRuntime.recommendedCore(current: "Prescott", cpu: avx512, userCoreType: nil), "SkylakeX")
    }

    func testPrescottOnAVX2IsCorrectedToHaswell() {
        XCTAssertEqual(BLASRuntime.recommendedCore(current: "Prescott", cpu: avx2, userCoreType: nil), "Haswell")
    }

    func testGoodCoreIsKept() {
        XCTAssertNil(BLASRuntime.recommendedCore(current: "SkylakeX", cpu: avx512, userCoreType: nil))
        XCTAssertNil(BLASRuntime.recommendedCore(current: "Zen", cpu: avx2, userCoreType: nil))
    }

    func testUserOverrideWins() {
        XCTAssertNil(BLASRuntime.recommendedCore(current: "Prescott", cpu: avx512, userCoreType: "Prescott"))
    }

    func testOldCPUIsLeftAlone() {
        XCTAssertNil(BLASRuntime.recommendedCore(current: "Prescott", cpu: old, userCoreType: nil))
    }

    func testCoreNameIsReported() {
        XCTAssertFalse(BLASRuntime.coreName.isEmpty)
    }
}
