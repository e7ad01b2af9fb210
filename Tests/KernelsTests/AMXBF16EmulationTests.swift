import XCTest
import _CKernels

/// The emulated TDPBF16PS (Sources/_CKernels/qb_amx_emu.h) against the Intel SDM's Operation, written out here, so
/// the "amx_emu" bf16 parity tests check the AMX-BF16 kernel against Intel's semantics. For each row m and column n,
/// with every FMA and add rounded to nearest even, subnormal inputs read as ±0 (DAZ) and subnormal results flushed to
/// ±0 (FTZ):
///   e = Σ over k (an FMA chain from +0) of A[m].bf16[2k]·B[k].bf16[2n],  o = the same over the upper halves [2k+1],
///   C[m][n] ← C[m][n] + (e + o).
final class AMXBF16EmulationTests: XCTestCase {
    /// One emulated TDPBF16PS; nil if the hook refused the shape. a: [rows][2·kpairs], b: [kpairs][colsb/2] bf16.
    func tileDP(rows: Int, colsb: Int, kpairs: Int, a: [UInt16], b: [UInt16], c: [Float]) -> [Float]? {
        var out = c
        let ok = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { cp in
                    qb_amx_emu_tile_dpbf16ps(Int32(rows), Int32(colsb), Int32(kpairs), ap.baseAddress, bp.baseAddress,
                                             cp.baseAddress)
                }
            }
        }
        return ok == 1 ? out : nil
    }

    static func daz(_ x: Float) -> Float { x.isSubnormal ? Float(signOf: x, magnitudeOf: 0) : x }
    static func float(_ h: UInt16) -> Float { daz(Float(bitPattern: UInt32(h) << 16)) }

    /// The SDM's Operation for TDPBF16PS.
    func formula(rows: Int, colsb: Int, kpairs: Int, a: [UInt16], b: [UInt16], c: [Float]) -> [Float] {
        let nc = colsb / 4
        var out = c
        for m in 0..<rows {
            var temp = [Float](repeating: 0, count: 2 * nc)
            for k in 0..<kpairs {
                for n in 0..<nc {
                    for i in 0..<2 {
                        let x = Self.float(a[m * 2 * kpairs + 2 * k + i]), y = Self.float(b[k * 2 * nc + 2 * n + i])
                        temp[2 * n + i] = Self.daz(temp[2 * n + i].addingProduct(x, y))
                    }
                }
            }
            for n in 0..<nc {
                let t = Self.daz(temp[2 * n] + temp[2 * n + 1])
                out[m * nc + n] = Self.daz(Self.daz(c[m * nc + n]) + t)
            }
        }
        return out
    }

    enum Fill: CaseIterable {
        /// Any 16-bit pattern: ordinary values, ±0, subnormals, ±∞ and NaNs.
        case anyBits
        /// Exponents 0…69 and both signs: subnormal inputs and products far below FP32's normal range.
        case tiny
        /// Small integers and their negatives, so many sums cancel to ±0.
        case cancelling
    }

    func value(_ fill: Fill, _ r: inout XorShift32) -> UInt16 {
        switch fill {
        case .anyBits: return UInt16(truncatingIfNeeded: r.next())
        case .tiny: return UInt16(truncatingIfNeeded: (r.next() & 0x807F) | (UInt32(r.int(0, 69)) << 7))
        case .cancelling: return UInt16(Float(r.int(-3, 3)).bitPattern >> 16)
        }
    }

    func same(_ x: Float, _ y: Float) -> Bool { (x.isNaN && y.isNaN) || x.bitPattern == y.bitPattern }

    func testTileDotProductMatchesTheSDMFormula() throws {
        var r = XorShift32(seed: 1606)
        let shapes: [(Int, Int, Int)] = [(16, 64, 16), (1, 4, 1), (16, 64, 1), (1, 64, 16), (7, 36, 5), (16, 12, 16),
                                         (3, 64, 9), (13, 60, 15)]
        var cases = 0, nans = 0, zeros = 0
        for (rows, colsb, kp) in shapes {
            for fill in Fill.allCases {
                let a = (0..<(rows * 2 * kp)).map { _ in value(fill, &r) }
                let b = (0..<(kp * colsb / 2)).map { _ in value(fill, &r) }
                // Accumulators: ordinary, ±0 and FP32 subnormals (read as ±0).
                let c: [Float] = (0..<(rows * colsb / 4)).map { i in
                    switch i % 4 {
                    case 0: return r.float(-8, 8)
                    case 1: return i % 8 == 1 ? -0.0 : 0.0
                    case 2: return Float(bitPattern: (r.next() & 0x807F_FFFF) | 1)
                    default: return fill == .tiny ? Float(bitPattern: (r.next() & 0x807F_FFFF) | (UInt32(r.int(1, 30)) << 23)) : r.float(-1, 1)
                    }
                }
                let got = try XCTUnwrap(tileDP(rows: rows, colsb: colsb, kpairs: kp, a: a, b: b, c: c),
                                        "shape \(rows)x\(colsb)x\(kp) refused")
                let want = formula(rows: rows, colsb: colsb, kpairs: kp, a: a, b: b, c: c)
                let differing = zip(got, want).filter { !same($0, $1) }.count
                XCTAssertEqual(differing, 0, "rows=\(rows) colsb=\(colsb) kpairs=\(kp) \(fill): \(differing) differ")
                nans += want.filter(\.isNaN).count
                zeros += want.filter { $0 == 0 }.count
                cases += 1
            }
        }
        XCTAssertEqual(cases, shapes.count * Fill.allCases.count)
        XCTAssertGreaterThan(nans, 0, "the inputs reach NaN")
        XCTAssertGreaterThan(zeros, 0, "the inputs reach ±0")
    }

    /// Worked examples of the rules, computed by hand rather than by the formula above.
    func testHandComputedCases() throws {
        func bf(_ x: Float) -> UInt16 { UInt16(x.bitPattern >> 16) }
        func one(_ a: [Float], _ b: [Float], c: Float) throws -> Float {
            let kp = a.count / 2
            return try XCTUnwrap(tileDP(rows: 1, colsb: 4, kpairs: kp, a: a.map(bf), b: b.map(bf), c: [c]))[0]
        }
        // Even and odd halves are two sums: e = 2⁻²⁴ + 2⁻²⁴ = 2⁻²³, o = 1, C = 0 + (2⁻²³ + 1) = 1 + 2⁻²³. One k-order
        // chain (2⁻²⁴, then 1, then 2⁻²⁴) would round to 1 twice.
        XCTAssertEqual(try one([0x1p-12, 1, 0x1p-12, 0], [0x1p-12, 1, 0x1p-12, 0], c: 0), 1 + 0x1p-23)
        // The accumulator is added once, after the pair sums: C = 1, e = 2⁻²⁴, o = 2⁻²⁴ → 1 + 2⁻²³ (a chain from C
        // would give 1).
        XCTAssertEqual(try one([0x1p-12, 0x1p-12], [0x1p-12, 0x1p-12], c: 1), 1 + 0x1p-23)
        // FTZ: a product of 2⁻⁷⁰ · 2⁻⁷⁰ is flushed, so C stays 2⁻¹²⁰ exactly.
        XCTAssertEqual(try one([0x1p-70, 0], [0x1p-70, 0], c: 0x1p-120), 0x1p-120)
        // DAZ: a subnormal bf16 input is 0; a subnormal C is read as ±0 and -0 + (+0) is +0.
        let sub = Float(bitPattern: 0x0001_0000) // the smallest subnormal bfloat16
        XCTAssertEqual(try one([sub, 0], [1, 0], c: 5), 5)
        XCTAssertEqual(try one([0, 0], [0, 0], c: -Float.leastNonzeroMagnitude).bitPattern, Float(0).bitPattern)
        // A -0 product does not make -0: e = fma(-1, 0, +0) = +0 in RNE, so C = -0 + (+0 + +0) = +0.
        XCTAssertEqual(try one([-1, 0], [0, 0], c: -0.0).bitPattern, Float(0).bitPattern)
        // ∞ · 0 is NaN; ∞ + finite is ∞; ∞ − ∞ (across the two halves) is NaN.
        XCTAssertTrue(try one([.infinity, 0], [0, 0], c: 1).isNaN)
        XCTAssertEqual(try one([.infinity, 0], [2, 0], c: 1), .infinity)
        XCTAssertTrue(try one([.infinity, .infinity], [1, -1], c: 0).isNaN)
    }

    /// Shapes the hardware could not configure are refused by the hook rather than emulated.
    func testTileHookRefusesInvalidShapes() {
        let a = [UInt16](repeating: 0x3F80, count: 17 * 34), b = a, c = [Float](repeating: 0, count: 17 * 17)
        for (rows, colsb, kp) in [(0, 64, 16), (17, 64, 16), (16, 68, 16), (16, 62, 16), (16, 64, 17), (16, 64, 0)] {
            XCTAssertNil(tileDP(rows: rows, colsb: colsb, kpairs: kp, a: a, b: b, c: c), "\(rows)x\(colsb)x\(kp)")
        }
    }
}
