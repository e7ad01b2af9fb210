import XCTest
import _CKernels

/// Dispatched quantize, min/max, requant and fp16 conversions against their `_ref`, bit-exact, for every kernel
/// family this CPU runs — on random data plus the awkward values (ties, out of range, ±inf, NaN, −0, subnormals).
final class ElementwiseParityTests: XCTestCase {
    /// Awkward floats for every float-input kernel.
    static let specials: [Float] = [
        0, -0.0, 1, -1, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, 126.5, 127.5, 128.5, 254.5, 255.5, -127.5, -128.5,
        .infinity, -.infinity, .nan, -Float.nan, Float(bitPattern: 0x7FA0_0001) /* signalling NaN */,
        .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNonzeroMagnitude, -.leastNormalMagnitude,
        2_147_483_520, 2_147_483_648, -2_147_483_648, 4e9, -4e9, 1e30, -1e30,
        65504, 65519.996, 65520, -65520, 65536, 1.0 / 3.0, 5.9604645e-8 /* 2^-24 */, 2.9802322e-8 /* 2^-25 */,
        8.940697e-8 /* 3·2^-25 */, 6.097555e-5 /* largest half subnormal */, 6.1035156e-5 /* 2^-14 */,
    ]

    /// Random values in a range plus all specials, length chosen to exercise vector tails.
    func inputs(count: Int, scale: Float, seed: UInt32) -> [Float] {
        var r = XorShift32(seed: seed)
        var x = (0..<count).map { _ in r.float(-scale, scale) }
        // Exact ties after scaling by 1 and by 2 (k + 0.5 and k/2 + 0.25).
        for i in stride(from: 0, to: count, by: 7) { x[i] = Float(r.int(-300, 300)) + 0.5 }
        x.append(contentsOf: Self.specials)
        return x
    }

    struct QuantCase { let invScale: Float; let zp: Int32; let qmin: Int32; let qmax: Int32 }
    static let u8Cases = [
        QuantCase(invScale: 1, zp: 0, qmin: 0, qmax: 255), QuantCase(invScale: 1, zp: 3, qmin: 0, qmax: 255),
        QuantCase(invScale: 2, zp: 128, qmin: 0, qmax: 255), QuantCase(invScale: 37.25, zp: 200, qmin: 0, qmax: 255),
        QuantCase(invScale: 1, zp: 64, qmin: 0, qmax: 127) /* reduce_range */, QuantCase(invScale: 1e-3, zp: 255, qmin: 0, qmax: 255),
    ]
    static let s8Cases = [
        QuantCase(invScale: 1, zp: 0, qmin: -127, qmax: 127) /* Q8BERT */, QuantCase(invScale: 1, zp: 0, qmin: -128, qmax: 127),
        QuantCase(invScale: 0.5, zp: -3, qmin: -128, qmax: 127), QuantCase(invScale: 91.5, zp: 5, qmin: -127, qmax: 127),
    ]

    func testQuantizeU8MatchesRef() throws {
        try forEachFamily { family in
            for n in [1, 7, 31, 32, 33, 100, 1000] {
                let x = inputs(count: n, scale: 300, seed: UInt32(n))
                for c in Self.u8Cases {
                    var got = [UInt8](repeating: 0xEE, count: x.count), want = got
                    qb_quantize_u8(x, Int32(x.count), c.invScale, c.zp, c.qmin, c.qmax, &got)
                    qb_quantize_u8_ref(x, Int32(x.count), c.invScale, c.zp, c.qmin, c.qmax, &want)
                    XCTAssertEqual(got, want, "\(family) n=\(n) \(c)")
                    XCTAssertTrue(want.allSatisfy { Int32($0) >= c.qmin && Int32($0) <= c.qmax })
                }
            }
        }
    }

    func testQuantizeS8MatchesRef() throws {
        try forEachFamily { family in
            for n in [1, 5, 32, 65, 999] {
                let x = inputs(count: n, scale: 200, seed: UInt32(n) + 100)
                for c in Self.s8Cases {
                    var got = [Int8](repeating: 0x55, count: x.count), want = got
                    qb_quantize_s8(x, Int32(x.count), c.invScale, c.zp, c.qmin, c.qmax, &got)
                    qb_quantize_s8_ref(x, Int32(x.count), c.invScale, c.zp, c.qmin, c.qmax, &want)
                    XCTAssertEqual(got, want, "\(family) n=\(n) \(c)")
                }
            }
        }
    }

    /// The documented semantics on single values: ties to even *before* adding the zero point, clamping, NaN → qmax.
    func testQuantizeSemantics() {
        func q(_ x: Float, inv: Float = 1, zp: Int32 = 0, _ lo: Int32 = 0, _ hi: Int32 = 255) -> Int {
            var out: UInt8 = 0
            qb_quantize_u8_ref([x], 1, inv, zp, lo, hi, &out)
            return Int(out)
        }
        XCTAssertEqual(q(2.5), 2)              // x·inv = 2.5 → 2 (even)
        XCTAssertEqual(q(3.5), 4)
        XCTAssertEqual(q(2.5, zp: 3), 5)       // zp + nearbyint(2.5) = 3 + 2, not nearbyint(5.5) = 6
        XCTAssertEqual(q(1.25, inv: 2), 2)     // 2.5 → 2
        XCTAssertEqual(q(127.5, zp: 0, 0, 127), 127)
        XCTAssertEqual(q(-0.5, zp: 10), 10)    // −0.5 → −0
        XCTAssertEqual(q(1e30), 255)
        XCTAssertEqual(q(-1e30, zp: 100), 0)
        XCTAssertEqual(q(2_147_483_648, zp: 200), 255) // no int32 wrap-around (fbgemm would wrap here)
        XCTAssertEqual(q(.infinity), 255)
        XCTAssertEqual(q(-.infinity), 0)
        XCTAssertEqual(q(.nan, zp: 7), 255)
        XCTAssertEqual(q(.nan, zp: 7, 0, 127), 127)
        var s: Int8 = 0
        qb_quantize_s8_ref([-200], 1, 1, 0, -127, 127, &s)
        XCTAssertEqual(s, -127)
    }

    func testMinMaxMatchesRef() throws {
        try forEachFamily { family in
            var lists: [[Float]] = [[1], [-0.0], [0, -0.0, 0], [.nan], [.nan, .nan, 3], [-.infinity, 2], Self.specials]
            for n in [1, 7, 8, 15, 16, 17, 100, 1023] { lists.append(inputs(count: n, scale: 10, seed: UInt32(n) + 7)) }
            var withNaNs = inputs(count: 64, scale: 5, seed: 9)
            for i in stride(from: 0, to: withNaNs.count, by: 5) { withNaNs[i] = .nan }
            lists.append(withNaNs)
            // NaNs inside the vector body, after a lane's extreme (elements 3 and 67, 5 and 69 share a lane of every
            // version's accumulators): a min/max that kept the NaN operand would forget the extreme.
            var r = XorShift32(seed: 11)
            var lanes = (0..<700).map { _ in r.float(-1, 1) }
            lanes[3] = 50; lanes[67] = .nan; lanes[5] = -50; lanes[69] = .nan
            for i in stride(from: 200, to: 640, by: 9) { lanes[i] = .nan }
            lists.append(lanes)
            lists.append([Float](repeating: -0.0, count: 40))
            lists.append([Float](repeating: .nan, count: 33))
            for x in lists {
                var mn: Float = 0, mx: Float = 0, rmn: Float = 0, rmx: Float = 0
                qb_minmax_f32(x, x.count, &mn, &mx)
                qb_minmax_f32_ref(x, x.count, &rmn, &rmx)
                XCTAssertEqual(bits([mn, mx]), bits([rmn, rmx]), "\(family) \(x.prefix(8))…")
            }
        }
        var mn: Float = 0, mx: Float = 0
        qb_minmax_f32_ref([.nan, 2, -3, .nan], 4, &mn, &mx)
        XCTAssertEqual([mn, mx], [-3, 2])
        qb_minmax_f32_ref([-0.0], 1, &mn, &mx)
        XCTAssertEqual(bits([mn, mx]), bits([0, 0]))
        qb_minmax_f32_ref([.nan], 1, &mn, &mx)
        XCTAssertTrue(mn.isNaN && mx.isNaN)
    }

    func testRequantMatchesRef() throws {
        try forEachFamily { family in
            var r = XorShift32(seed: 21)
            for (m, n) in [(1, 1), (3, 7), (5, 8), (4, 17), (9, 64), (2, 133)] {
                let ldc = n + 3, ldo = n + 1
                var c = (0..<(m * ldc)).map { _ in Int32(r.int(-3_000_000, 3_000_000)) }
                c[0] = Int32.max; c[c.count - 1] = Int32.min   // wrap-around in the zero-point correction
                let rowSum = (0..<n).map { _ in Int32(r.int(-20_000, 20_000)) }
                let aScale = (0..<m).map { _ in r.float(1e-4, 0.1) }
                let aZp = (0..<m).map { _ in Int32(r.int(0, 255)) }
                let wScale = (0..<n).map { _ in r.float(1e-4, 0.05) }
                var bias = (0..<n).map { _ in r.float(-2, 2) }
                bias[0] = -0.0
                for aPerRow in [0, 1] {
                    for wPerChannel in [0, 1] {
                        for useBias in [false, true] {
                            for useZp in [false, true] {
                                var got = [Float](repeating: .nan, count: m * ldo), want = got
                                let b: [Float]? = useBias ? bias : nil
                                let zp: [Int32]? = useZp ? aZp : nil
                                qb_requant_f32(Int32(m), Int32(n), c, Int32(ldc), aScale, zp, Int32(aPerRow), wScale, rowSum,
                                               Int32(wPerChannel), b, &got, Int32(ldo))
                                qb_requant_f32_ref(Int32(m), Int32(n), c, Int32(ldc), aScale, zp, Int32(aPerRow), wScale, rowSum,
                                                   Int32(wPerChannel), b, &want, Int32(ldo))
                                XCTAssertEqual(bits(got), bits(want), "\(family) \(m)×\(n) row=\(aPerRow) ch=\(wPerChannel) bias=\(useBias) zp=\(useZp)")
                            }
                        }
                    }
                }
            }
        }
    }

    /// The reference's float order is (float)(acc) · (a_scale · w_scale) + bias, rounded at each step.
    func testRequantFloatOrder() {
        let c: [Int32] = [16_777_217, 3, -7]       // 2^24 + 1 rounds to 2^24 when converted
        let rowSum: [Int32] = [1, 0, 2]
        let aScale: [Float] = [0.1], wScale: [Float] = [0.3], bias: [Float] = [1e-3, 0.7, -0.2]
        let aZp: [Int32] = [1]
        var out = [Float](repeating: 0, count: 3)
        qb_requant_f32_ref(1, 3, c, 3, aScale, aZp, 0, wScale, rowSum, 0, bias, &out, 3)
        let mult: Float = aScale[0] * wScale[0]
        for j in 0..<3 {
            let acc = Float(c[j] - aZp[0] * rowSum[j])
            let prod: Float = acc * mult
            XCTAssertEqual(out[j].bitPattern, (prod + bias[j]).bitPattern, "column \(j)")
        }
    }

    func testF32ToF16MatchesRef() throws {
        try forEachFamily { family in
            var x = inputs(count: 500, scale: 70_000, seed: 3)
            x += inputs(count: 300, scale: 1e-4, seed: 4)            // subnormal half range
            // Every tie between adjacent halves around 1, 2^-14 (normal/subnormal edge) and 2^-24.
            for base: Float in [1, 6.1035156e-5, 5.9604645e-8, 32768] {
                let ulp = base.ulp
                for i in 0..<64 { x.append(base + Float(i) * ulp * 1024) }
            }
            // Exhaustive over a slice of float bit patterns with the 13 low mantissa bits stepped through ties.
            for e: UInt32 in [100, 101, 102, 103, 110, 112, 113, 127, 142, 143, 255] {
                for m: UInt32 in [0, 0xFFF, 0x1000, 0x1001, 0x2000, 0x3000, 0x7F_E000, 0x7F_F000, 0x7F_FFFF] {
                    x.append(Float(bitPattern: (e << 23) | m))
                    x.append(Float(bitPattern: 0x8000_0000 | (e << 23) | m))
                }
            }
            for n in [x.count, 1, 7, 9] {
                let xs = Array(x.prefix(n))
                var got = [UInt16](repeating: 0, count: n), want = got
                qb_f32_to_f16(xs, n, &got)
                qb_f32_to_f16_ref(xs, n, &want)
                for i in 0..<n where got[i] != want[i] {
                    XCTFail("\(family) f32→f16 of \(xs[i]) (0x\(String(xs[i].bitPattern, radix: 16))): 0x\(String(got[i], radix: 16)) vs ref 0x\(String(want[i], radix: 16))")
                }
            }
        }
    }

    func testF16ToF32MatchesRefExhaustively() throws {
        try forEachFamily { family in
            let h = (0...UInt16.max).map { $0 }
            var got = [Float](repeating: 0, count: h.count), want = got
            qb_f16_to_f32(h, h.count, &got)
            qb_f16_to_f32_ref(h, h.count, &want)
            XCTAssertEqual(bits(got), bits(want), "\(family)")
        }
    }
}
