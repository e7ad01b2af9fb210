import _CKernels
import XCTest

/// AVX2 GELU and softmax against their libm references (float approximations: bounded, not bit-exact); AVX2
/// LayerNorm (+ residual) against its scalar reference (double sums in another order: equal up to a float ulp).
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

    func testAddLayerNormAVX2MatchesReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0 else { throw XCTSkip("CPU has no AVX2+FMA") }
        var r = SystemRandomNumberGenerator()
        var identical = 0, total = 0
        for width in [1, 7, 8, 31, 384, 768, 1001] {
            let rows = 5
            let x: [Float] = (0..<(rows * width)).map { i in Float.random(in: -4...4, using: &r) + (i % width == 0 ? 50 : 0) }
            let res: [Float] = (0..<(rows * width)).map { _ in Float.random(in: -2...2, using: &r) }
            let gamma: [Float] = (0..<width).map { _ in Float.random(in: 0.5...1.5, using: &r) }
            let beta: [Float] = (0..<width).map { _ in Float.random(in: -0.2...0.2, using: &r) }
            for residual in [nil, res] {
                var ref = x, fast = x
                qb_add_layernorm_f32_ref(&ref, residual, rows, width, gamma, beta, 1e-12)
                qb_add_layernorm_f32_avx2(&fast, residual, rows, width, gamma, beta, 1e-12)
                for i in ref.indices {
                    XCTAssertEqual(fast[i], ref[i], accuracy: 2 * ref[i].ulp + 1e-6, "width=\(width) i=\(i)")
                    identical += fast[i].bitPattern == ref[i].bitPattern ? 1 : 0
                    total += 1
                }
                // The dispatched entry point, and the Add & Norm definition: LN(x + residual) = LN applied to x + residual.
                if let residual {
                    var sum = zip(x, residual).map { $0 + $1 }, fused = x
                    qb_add_layernorm_f32_ref(&sum, nil, rows, width, gamma, beta, 1e-12)
                    qb_add_layernorm_f32(&fused, residual, rows, width, gamma, beta, 1e-12)
                    for i in sum.indices { XCTAssertEqual(fused[i], sum[i], accuracy: 2 * sum[i].ulp + 1e-6) }
                }
            }
        }
        XCTAssertGreaterThan(Double(identical) / Double(total), 0.99, "the AVX2 LayerNorm should almost always be bit-identical")
    }
}
