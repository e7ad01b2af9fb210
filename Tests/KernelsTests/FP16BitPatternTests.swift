import XCTest
import _CKernels

/// binary16 conversions against known bit patterns (IEEE 754 binary16; saturation policy from PyTorch's
/// fp16 dynamic weights, see qb_fp16.c).
final class FP16BitPatternTests: XCTestCase {
    static let cases: [(Float, UInt16, String)] = [
        (0, 0x0000, "+0"), (-0.0, 0x8000, "−0"), (1, 0x3C00, "1"), (-2, 0xC000, "−2"),
        (65504, 0x7BFF, "max finite"), (-65504, 0xFBFF, "−max finite"),
        (65519.996, 0x7BFF, "just below the round-to-inf midpoint"),
        (65520, 0x7BFF, "midpoint: RNE gives inf, saturated"), (1e6, 0x7BFF, "far out of range, saturated"),
        (-1e6, 0xFBFF, "far out of range, saturated"), (.infinity, 0x7BFF, "+inf saturated"),
        (-.infinity, 0xFBFF, "−inf saturated"),
        (1.0 / 3.0, 0x3555, "1/3"), (0.1, 0x2E66, "0.1"),
        (6.1035156e-5, 0x0400, "2^-14 smallest normal"), (6.097555e-5, 0x03FF, "largest subnormal"),
        (5.9604645e-8, 0x0001, "2^-24 smallest subnormal"), (2.9802322e-8, 0x0000, "2^-25 tie → even (0)"),
        (2.9802326e-8, 0x0001, "just above 2^-25 → 2^-24"), (8.940697e-8, 0x0002, "3·2^-25 tie → even (2·2^-24)"),
        (1.4901161e-8, 0x0000, "2^-26 → 0"), (-5.9604645e-8, 0x8001, "−2^-24"),
        (1.00048828125, 0x3C00, "1 + 2^-11 tie → even (1)"), (1.00146484375, 0x3C02, "1 + 3·2^-11 tie → even"),
        (2049, 0x6800, "2049 tie → 2048"), (2051, 0x6802, "2051 tie → 2052"),
        (Float.leastNonzeroMagnitude, 0x0000, "float subnormal → 0"),
    ]

    func testKnownPatternsBothDirections() {
        for family in KernelFamily.allCases where qb_qgemm_force_kernel(family.rawValue) == 1 {
            defer { _ = qb_qgemm_force_kernel(defaultKernelName) }
            let x = Self.cases.map(\.0)
            var h = [UInt16](repeating: 0, count: x.count), hr = h
            qb_f32_to_f16(x, x.count, &h)
            qb_f32_to_f16_ref(x, x.count, &hr)
            for (i, c) in Self.cases.enumerated() {
                XCTAssertEqual(h[i], c.1, "\(family) \(c.2): got 0x\(String(h[i], radix: 16))")
                XCTAssertEqual(hr[i], c.1, "ref \(c.2): got 0x\(String(hr[i], radix: 16))")
            }
            // Back: exact values.
            let halves: [UInt16] = [0x7BFF, 0x0001, 0x03FF, 0x0400, 0x3555, 0x7C00, 0xFC00, 0x8000]
            let want: [Float] = [65504, 5.9604645e-8, 6.097555e-5, 6.1035156e-5, 0.33325195, .infinity, -.infinity, -0.0]
            var f = [Float](repeating: 0, count: halves.count)
            qb_f16_to_f32(halves, halves.count, &f)
            XCTAssertEqual(bits(f), bits(want), "\(family)")
        }
    }

    /// NaN policy: stays NaN, sign kept, quiet bit set, top mantissa bits kept; both directions.
    func testNaNPolicy() {
        let x: [Float] = [.nan, -Float.nan, Float(bitPattern: 0x7FA0_2000), Float(bitPattern: 0x7F80_0001)]
        var h = [UInt16](repeating: 0, count: x.count)
        qb_f32_to_f16_ref(x, x.count, &h)
        XCTAssertEqual(h, [0x7E00, 0xFE00, 0x7F01, 0x7E00])
        var f = [Float](repeating: 0, count: 2)
        qb_f16_to_f32_ref([0x7D01, 0xFE00], 2, &f)
        XCTAssertEqual(f.map(\.bitPattern), [0x7FE0_2000, 0xFFC0_0000]) // 0x7D01 is signalling: quiet bit set
    }
}
