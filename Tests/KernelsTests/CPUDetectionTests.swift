import _CKernels
import Foundation
import XCTest

final class CPUDetectionTests: XCTestCase {
    /// CPUID agrees with the kernel's view in /proc/cpuinfo for the features dispatch relies on.
    func testFeaturesAgreeWithProcCpuinfo() throws {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
              let flagsLine = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("no /proc/cpuinfo")
        }
        let flags = Set(flagsLine.split(separator: ":")[1].split(separator: " ").map(String.init))
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        XCTAssertEqual(f.avx2 != 0, flags.contains("avx2"))
        XCTAssertEqual(f.fma != 0, flags.contains("fma"))
        XCTAssertEqual(f.f16c != 0, flags.contains("f16c"))
        XCTAssertEqual(f.avx512f != 0, flags.contains("avx512f"))
        XCTAssertEqual(f.avx512_vnni != 0, flags.contains("avx512_vnni"))
        XCTAssertEqual(f.amx_tile != 0, flags.contains("amx_tile"))
        XCTAssertEqual(f.amx_int8 != 0, flags.contains("amx_int8"))
        XCTAssertEqual(f.amx_bf16 != 0, flags.contains("amx_bf16"))
    }
}
