import XCTest
import _CKernels

/// The portable AMX emulation (Sources/_CKernels/qb_amx_emu.h) against the instruction's definition, so that the
/// "amx_emu" parity tests check the AMX kernel against Intel's semantics: for each m, n
///   C[m][n] += Σ_{k < kquads} Σ_{i < 4} A[m][4k+i] · B[k][4n+i]   (A u8 for TDPBUSD, s8 for TDPBSSD; B s8),
/// in wrapping int32.
final class AMXEmulationTests: XCTestCase {
    /// One emulated TDPB*D; returns nil if the hook refused the shape.
    func tileDP(signed: Bool, rows: Int, colsb: Int, kquads: Int, a: [UInt8], b: [Int8], c: [Int32]) -> [Int32]? {
        var out = c
        let ok = a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                out.withUnsafeMutableBufferPointer { cp in
                    qb_amx_emu_tile_dp(signed ? 1 : 0, Int32(rows), Int32(colsb), Int32(kquads), ap.baseAddress,
                                       bp.baseAddress, cp.baseAddress)
                }
            }
        }
        return ok == 1 ? out : nil
    }

    /// The formula, in Int64 then wrapped to Int32.
    func formula(signed: Bool, rows: Int, colsb: Int, kquads: Int, a: [UInt8], b: [Int8], c: [Int32]) -> [Int32] {
        let nc = colsb / 4
        var out = c
        for m in 0..<rows {
            for n in 0..<nc {
                var acc = Int64(c[m * nc + n])
                for k in 0..<kquads {
                    for i in 0..<4 {
                        let x = a[m * 4 * kquads + 4 * k + i]
                        let av = signed ? Int64(Int8(bitPattern: x)) : Int64(x)
                        acc += av * Int64(b[k * colsb + 4 * n + i])
                    }
                }
                out[m * nc + n] = Int32(truncatingIfNeeded: acc)
            }
        }
        return out
    }

    enum Fill: CaseIterable { case random, maxU8MinS8, minS8MinS8, maxS8MinS8, mixedExtremes }

    func testTileDotProductMatchesFormula() throws {
        var r = XorShift32(seed: 2024)
        let shapes: [(Int, Int, Int)] = [(16, 64, 16), (1, 4, 1), (16, 64, 1), (1, 64, 16), (7, 36, 5), (16, 12, 16),
                                         (3, 64, 9), (13, 60, 15)]
        var cases = 0
        for signed in [false, true] {
            for (rows, colsb, kq) in shapes {
                for fill in Fill.allCases {
                    let aCount = rows * 4 * kq, bCount = kq * colsb
                    let a: [UInt8] = (0..<aCount).map { i in
                        switch fill {
                        case .random: return UInt8(r.int(0, 255))
                        case .maxU8MinS8: return signed ? 0x7F : 255
                        case .minS8MinS8: return 0x80 // -128 as s8, 128 as u8
                        case .maxS8MinS8: return 127
                        case .mixedExtremes: return [0, 127, 128, 255][i % 4]
                        }
                    }
                    let b: [Int8] = (0..<bCount).map { i in
                        switch fill {
                        case .random: return Int8(r.int(-128, 127))
                        case .mixedExtremes: return [-128, 127, -1, 0][(i / 3) % 4]
                        default: return -128
                        }
                    }
                    // Accumulators near the int32 limits, so the add must wrap exactly as the hardware does.
                    let c: [Int32] = (0..<(rows * colsb / 4)).map { i in
                        i % 3 == 0 ? Int32.min + Int32(r.int(0, 1000)) : i % 3 == 1 ? Int32.max - Int32(r.int(0, 1000))
                            : Int32(r.int(-100_000, 100_000))
                    }
                    let got = try XCTUnwrap(tileDP(signed: signed, rows: rows, colsb: colsb, kquads: kq, a: a, b: b, c: c),
                                            "shape \(rows)x\(colsb)x\(kq) refused")
                    let want = formula(signed: signed, rows: rows, colsb: colsb, kquads: kq, a: a, b: b, c: c)
                    XCTAssertEqual(got, want, "signed=\(signed) rows=\(rows) colsb=\(colsb) kquads=\(kq) \(fill)")
                    cases += 1
                }
            }
        }
        XCTAssertEqual(cases, 2 * 8 * Fill.allCases.count)
    }

    /// Shapes the hardware could not configure are refused by the hook rather than emulated.
    func testTileHookRefusesInvalidShapes() {
        let a = [UInt8](repeating: 1, count: 17 * 68), b = [Int8](repeating: 1, count: 17 * 68)
        let c = [Int32](repeating: 0, count: 17 * 17)
        for (rows, colsb, kq) in [(0, 64, 16), (17, 64, 16), (16, 68, 16), (16, 62, 16), (16, 64, 17), (16, 64, 0)] {
            XCTAssertNil(tileDP(signed: false, rows: rows, colsb: colsb, kquads: kq, a: a, b: b, c: c),
                         "\(rows)x\(colsb)x\(kq)")
        }
    }
}
