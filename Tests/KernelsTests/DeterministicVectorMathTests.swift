import _CKernels
import Foundation
import XCTest

/// The `_det` vector math of qb_vmath.h: AVX2 bit-identical with the scalar reference for every length (vector
/// body, tails, the 16-lane sum tree) and for special values; the dispatched names run the forced family's
/// version; and the approximations stay within their stated error of libm.
final class DeterministicVectorMathTests: XCTestCase {
    static func hasAVX2() -> Bool {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        return f.avx2 != 0 && f.fma != 0
    }

    static let specials: [Float] = [0, -0.0, 1e-30, -1e-30, 1e-45, 0.5, -0.5, 3, -3, 9.9, -9.9, 44, -44, 88, -88, 89,
                                    -89, 1e6, -1e6, .infinity, -.infinity, .nan]

    func testElementwiseAVX2EqualsReferenceBitForBit() throws {
        guard Self.hasAVX2() else { throw XCTSkip("CPU has no AVX2+FMA: only the reference exists here") }
        var x: [Float] = stride(from: -12.0, through: 12.0, by: 0.00071).map { Float($0) } + Self.specials
        x += (0..<5).map { Float($0) * 0.1 }   // length not a multiple of 8: the scalar tail runs
        typealias Kernel = (UnsafeMutablePointer<Float>?, Int) -> Void
        let kernels: [(String, Kernel, Kernel)] = [
            ("gelu_erf", qb_gelu_erf_f32_det_ref, qb_gelu_erf_f32_det_avx2),
            ("gelu_tanh", qb_gelu_tanh_f32_det_ref, qb_gelu_tanh_f32_det_avx2),
            ("tanh", qb_tanh_f32_det_ref, qb_tanh_f32_det_avx2),
        ]
        for (name, ref, avx2) in kernels {
            var a = x, b = x
            ref(&a, a.count)
            avx2(&b, b.count)
            assertSameBits(a, b, name, nanAsClass: true)
        }
    }

    func testSoftmaxAVX2EqualsReferenceForEveryLength() throws {
        guard Self.hasAVX2() else { throw XCTSkip("CPU has no AVX2+FMA: only the reference exists here") }
        var r = XorShift32(seed: 11)
        for n in 1...150 {
            let x: [Float] = (0..<n).map { _ in r.float(-30, 30) }
            var keep: [Float] = (0..<n).map { _ in r.int(0, 3) == 0 ? 0 : 1 }
            keep[r.int(0, n - 1)] = 1
            var a = x, b = x
            qb_softmax_masked_f32_det_ref(&a, n, 0.125, keep)
            qb_softmax_masked_f32_det_avx2(&b, n, 0.125, keep)
            assertSameBits(a, b, "n = \(n)")
        }
    }

    func testLayerNormAVX2EqualsReferenceForEveryWidth() throws {
        guard Self.hasAVX2() else { throw XCTSkip("CPU has no AVX2+FMA: only the reference exists here") }
        var r = XorShift32(seed: 12)
        for width in [1, 2, 7, 8, 15, 16, 17, 31, 33, 64, 100, 384, 385, 768] {
            let rows = 3
            let x: [Float] = (0..<(rows * width)).map { _ in r.float(-5, 5) + 100 }   // an offset: cancellation matters
            let res: [Float] = (0..<(rows * width)).map { _ in r.float(-1, 1) }
            let g: [Float] = (0..<width).map { _ in r.float(0.5, 1.5) }
            let be: [Float] = (0..<width).map { _ in r.float(-0.1, 0.1) }
            for residual in [true, false] {
                var a = x, b = x
                qb_add_layernorm_f32_det_ref(&a, residual ? res : nil, rows, width, g, be, 1e-12)
                qb_add_layernorm_f32_det_avx2(&b, residual ? res : nil, rows, width, g, be, 1e-12)
                assertSameBits(a, b, "width \(width) residual \(residual)")
            }
        }
    }

    /// Σ by the 16-lane tree of qb_reduce16.h, written out in Swift.
    static func tree16(_ x: [Double]) -> Double {
        var s = [Double](repeating: 0, count: 16)
        for (i, v) in x.enumerated() { s[i % 16] = s[i % 16] + v }
        var w = 8
        while w >= 1 {
            for j in 0..<w { s[j] = s[j] + s[j + w] }
            w /= 2
        }
        return s[0]
    }

    /// `_det_ref` is the documented formula: both sums by the 16-lane tree (here in Swift), then the float steps.
    /// (Double sums in another order rarely move the float mean or 1/σ, so the AVX2 equality above is no proof of
    /// the tree by itself; this is.) The first row cancels ±1e20 inside lane 0, where a sequential sum would absorb
    /// 15 ones: the Swift formula pins the tree's mean exactly there.
    func testLayerNormDetIsTheTreeFormula() {
        let width = 32
        var rows: [[Float]] = [[1e20] + [Float](repeating: 1, count: 15) + [-1e20] + [Float](repeating: 1, count: 15)]
        var r = XorShift32(seed: 13)
        for _ in 0..<4 { rows.append((0..<width).map { _ in r.float(-3, 3) * (r.int(0, 5) == 0 ? 1000 : 1) }) }
        let g: [Float] = (0..<width).map { _ in r.float(0.5, 1.5) }, be: [Float] = (0..<width).map { _ in r.float(-1, 1) }
        for (n, row) in rows.enumerated() {
            let mean = Self.tree16(row.map(Double.init)) / Double(width)
            let variance = Self.tree16(row.map { (Double($0) - mean) * (Double($0) - mean) }) / Double(width)
            let inv = Float(1 / (variance + Double(Float(1e-12))).squareRoot()), m = Float(mean)
            let want = row.indices.map { i in (row[i] - m) * inv * g[i] + be[i] }
            var got = row
            qb_add_layernorm_f32_det_ref(&got, nil, 1, width, g, be, 1e-12)
            assertSameBits(got, want, "row \(n)")
            if n == 0 { XCTAssertEqual(mean, 30.0 / 32.0, "lane 0 cancels ±1e20 before any 1 is absorbed") }
        }
    }

    func testDispatchedDetNamesRunTheForcedFamily() throws {
        var r = XorShift32(seed: 14)
        let width = 77
        let x: [Float] = (0..<width).map { _ in r.float(-6, 6) }
        let keep: [Float] = (0..<width).map { $0 % 4 == 1 ? 0 : 1 }
        let g = [Float](repeating: 1.1, count: width), be = [Float](repeating: 0.1, count: width)
        var want: [[UInt32]] = []
        do {
            var a = x; qb_gelu_erf_f32_det_ref(&a, width); want.append(bits(a))
            a = x; qb_gelu_tanh_f32_det_ref(&a, width); want.append(bits(a))
            a = x; qb_tanh_f32_det_ref(&a, width); want.append(bits(a))
            a = x; qb_softmax_masked_f32_det_ref(&a, width, 0.3, keep); want.append(bits(a))
            a = x; qb_add_layernorm_f32_det_ref(&a, nil, 1, width, g, be, 1e-5); want.append(bits(a))
        }
        try forEachFamily { family in
            var got: [[UInt32]] = []
            var a = x; qb_gelu_erf_f32_det(&a, width); got.append(bits(a))
            a = x; qb_gelu_tanh_f32_det(&a, width); got.append(bits(a))
            a = x; qb_tanh_f32_det(&a, width); got.append(bits(a))
            a = x; qb_softmax_masked_f32_det(&a, width, 0.3, keep); got.append(bits(a))
            a = x; qb_add_layernorm_f32_det(&a, nil, 1, width, g, be, 1e-5); got.append(bits(a))
            XCTAssertEqual(got, want, "\(family)")
        }
    }

    func testApproximationsWithinStatedErrorOfLibm() {
        let x: [Float] = stride(from: -10.0, through: 10.0, by: 0.0013).map { Float($0) }
        var gelu = x, th = x, gt = x
        qb_gelu_erf_f32_det_ref(&gelu, gelu.count)
        qb_tanh_f32_det_ref(&th, th.count)
        qb_gelu_tanh_f32_det_ref(&gt, gt.count)
        var worstGelu: Double = 0, worstTanh: Double = 0, worstGeluTanh: Double = 0
        for (i, v) in x.enumerated() {
            let d = Double(v)
            worstGelu = max(worstGelu, abs(Double(gelu[i]) - d * 0.5 * (1 + erf(d / 2.0.squareRoot()))) / max(1, abs(d)))
            worstTanh = max(worstTanh, abs(Double(th[i]) - Foundation.tanh(d)))
            let inner = 0.7978845608028654 * (d + 0.044715 * d * d * d)
            worstGeluTanh = max(worstGeluTanh, abs(Double(gt[i]) - 0.5 * d * (1 + Foundation.tanh(inner))) / max(1, abs(d)))
        }
        XCTAssertLessThan(worstGelu, 5e-7, "GELU (A&S 7.1.26: |erf error| ≤ 1.5e-7)")
        XCTAssertLessThan(worstTanh, 3e-7, "tanh")
        XCTAssertLessThan(worstGeluTanh, 5e-7, "tanh-GELU")
        // Softmax of a row with known probabilities.
        var row: [Float] = [0, log(2), log(4), 5]
        qb_softmax_masked_f32_det_ref(&row, 4, 1, [1, 1, 1, 0])
        for (p, want) in zip(row, [1.0 / 7, 2.0 / 7, 4.0 / 7, 0]) { XCTAssertEqual(Double(p), want, accuracy: 1e-7) }
    }
}

/// Bit-exact comparison that names the first differing element instead of printing both arrays. NaN equals NaN
/// whatever its sign and payload (`nanAsClass`, for the vector math, whose NaN results are unspecified NaNs).
func assertSameBits(_ got: [Float], _ want: [Float], _ message: String, nanAsClass: Bool = false,
                    file: StaticString = #filePath, line: UInt = #line) {
    guard got.count == want.count else {
        XCTFail("\(message): \(got.count) values, expected \(want.count)", file: file, line: line)
        return
    }
    let differing = got.indices.filter {
        got[$0].bitPattern != want[$0].bitPattern && !(nanAsClass && got[$0].isNaN && want[$0].isNaN)
    }
    if let i = differing.first {
        XCTFail("\(message): \(differing.count) of \(got.count) values differ, first at \(i): \(got[i]) vs \(want[i])",
                file: file, line: line)
    }
}
