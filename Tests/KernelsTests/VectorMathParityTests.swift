import _CKernels
import XCTest

/// AVX2 GELU and softmax against their libm references (float approximations: bounded, not bit-exact).
final class VectorMathParityTests: XCTestCase {
    func testGeluAVX2WithinOneMicroOfReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0 else { throw XCTSkip("CPU has no AVX2+FMA") }
        // Dense sweep of [-12, 12] plus awkward values; n not a multiple of 8 exercises the tail.
        var x: [Float] = stride(from: -12.0, through: 12.0, by: 0.00037).map { Float($0) }
        x += [0, -0.0, 1e-30, -1e-30, 88, -88, 1e6, -1e6]
        var ref = x, fast = x
        qb_gelu_erf_f32_ref(&ref, ref.count)
        qb_gelu_erf_f32_avx2(&fast, fast.count)
        var worst: Float = 0
        for i in x.indices {
            let err = abs(fast[i] - ref[i]) / max(1, abs(ref[i]))
            worst = max(worst, err)
        }
        XCTAssertLessThanOrEqual(worst, 1e-6, "worst GELU error vs erff reference")
    }

    func testMaskedSoftmaxAVX2MatchesReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0 else { throw XCTSkip("CPU has no AVX2+FMA") }
        var g = SystemRandomNumberGenerator()
        for n in [1, 7, 8, 9, 52, 128, 131] {
            let x: [Float] = (0..<n).map { _ in Float.random(in: -30...30, using: &g) }
            var keep: [Float] = (0..<n).map { _ in Bool.random(using: &g) ? 1 : 0 }
            keep[0] = 1
            var ref = x, fast = x
            qb_softmax_masked_f32_ref(&ref, n, 0.125, keep)
            qb_softmax_masked_f32_avx2(&fast, n, 0.125, keep)
            for j in 0..<n {
                XCTAssertEqual(fast[j], ref[j], accuracy: 2e-7 + 2e-6 * ref[j], "n=\(n) j=\(j)")
                if keep[j] == 0 { XCTAssertEqual(fast[j], 0) }
            }
            XCTAssertEqual(fast.reduce(0, +), 1, accuracy: 1e-5)
        }
    }
}
