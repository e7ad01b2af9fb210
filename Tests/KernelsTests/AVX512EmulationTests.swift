import XCTest
import _CKernels

/// The portable AVX-512 emulation (Sources/_CKernels/qb_avx512_emu.h), intrinsic by intrinsic, through the test hook
/// qb_avx512_probe(_emu): against Intel's definitions everywhere (so the avx512vnni_emu parity tests check the
/// kernels against the instructions' semantics), and against the silicon where the CPU has AVX-512 — including
/// what no kernel's inputs reach (saturating packs, every compare predicate, NaN and ±0 operand order).
final class AVX512EmulationTests: XCTestCase {
    typealias Lanes = [UInt32]   // 16 lanes of 32 bits, as floats or int32 as the op reads them

    static func probe(_ op: Int32, _ a: Lanes, _ b: Lanes, _ c: Lanes, native: Bool) -> Lanes {
        var out = Lanes(repeating: 0xDEAD_BEEF, count: 16)
        let ok = out.withUnsafeMutableBytes { o in
            native ? qb_avx512_probe(op, a, b, c, o.baseAddress) : qb_avx512_probe_emu(op, a, b, c, o.baseAddress)
        }
        XCTAssertEqual(ok, 1, "op \(op)")
        return out
    }

    static func f(_ x: UInt32) -> Float { Float(bitPattern: x) }
    static let specials: [Float] = [0, -0.0, .nan, -.nan, Float(bitPattern: 0x7FA0_0001), .infinity, -.infinity, 0.5,
                                    -0.5, 1.5, 2.5, -2.5, 2_147_483_520, 2_147_483_648, -2_147_483_648, -2_147_483_904,
                                    1e-40, -1e-40, 3e38, 1, -1, 65535.5, 32767.5, -32768.5]

    /// Operands of four kinds: specials, small floats with ties, raw bit patterns, int32 values around the int16 and
    /// int8 ranges (packs) with indices for vpermd.
    static func operands(_ r: inout XorShift32, kind: Int) -> (Lanes, Lanes, Lanes) {
        var a = Lanes(), b = Lanes(), c = Lanes()
        for _ in 0..<16 {
            switch kind {
            case 0:
                a.append(specials[r.int(0, specials.count - 1)].bitPattern)
                b.append(specials[r.int(0, specials.count - 1)].bitPattern)
                c.append(specials[r.int(0, specials.count - 1)].bitPattern)
            case 1:
                a.append((Float(r.int(-400_000, 400_000)) / 4).bitPattern)
                b.append((Float(r.int(-100, 100)) / 2).bitPattern)
                c.append(r.float(-1000, 1000).bitPattern)
            case 2:
                a.append(r.next()); b.append(r.next()); c.append(r.next())
            default:
                let w = r.int(0, 2) == 0 ? 70_000 : r.int(0, 1) == 0 ? 300 : 40_000
                a.append(UInt32(bitPattern: Int32(r.int(-w, w))))
                b.append(UInt32(bitPattern: Int32(r.int(-w, w))))
                c.append(r.next())
            }
        }
        return (a, b, c)
    }

    static let ops: [Int32] = Array(0..<Int32(QB_PROBE_COUNT)) + (0..<32).map { Int32(QB_PROBE_CMP_PS_MASK) + $0 }

    /// Where the CPU has AVX-512: every op, emulated and native, the same bits. Exceptions, NaN payloads only: an FMA
    /// lane with several NaN operands (the silicon returns the first NaN of the instruction form, 132/213/231, the
    /// compiler chose) and the add/max reduction chain (a commutative add of two NaNs returns the one the compiler
    /// put first, native or emulated); there both must still be NaN.
    func testEmulationMatchesTheSilicon() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx512f != 0, f.avx512bw != 0, f.avx512vl != 0, f.avx512dq != 0 else {
            throw XCTSkip("CPU has no AVX-512: the emulation is checked against the definitions only")
        }
        var r = XorShift32(seed: 77)
        for round in 0..<4000 {
            let (a, b, c) = Self.operands(&r, kind: round % 4)
            for op in Self.ops {
                let emu = Self.probe(op, a, b, c, native: false), nat = Self.probe(op, a, b, c, native: true)
                for j in 0..<16 where emu[j] != nat[j] {
                    let fma = op == Int32(QB_PROBE_FMADD_PS) || op == Int32(QB_PROBE_FNMADD_PS)
                    let nans = [a[j], b[j], c[j]].filter { Self.f($0).isNaN }.count
                    let bothNaN = Self.f(emu[j]).isNaN && Self.f(nat[j]).isNaN
                    if bothNaN && ((fma && nans >= 2) || op == Int32(QB_PROBE_SSE_AVX_REDUCE)) { continue }
                    XCTFail("op \(op) lane \(j): a \(a[j]) b \(b[j]) c \(c[j]): emulated \(emu[j]), silicon \(nat[j])")
                    return
                }
            }
        }
    }

    /// Everywhere: the emulation against Intel's pseudo-code, written out here.
    func testEmulationFollowsTheDefinitions() {
        func i32(_ x: UInt32) -> Int32 { Int32(bitPattern: x) }
        func sat(_ x: Int32, _ lo: Int32, _ hi: Int32) -> UInt32 { UInt32(truncatingIfNeeded: min(max(x, lo), hi)) }
        func cvt(_ x: Float, _ rounded: Float) -> UInt32 {
            rounded >= -2_147_483_648 && rounded < 2_147_483_648 ? UInt32(bitPattern: Int32(rounded)) : 0x8000_0000
        }
        func cmp(_ x: Float, _ y: Float, _ p: Int) -> Bool {
            let u = x.isNaN || y.isNaN
            switch p & 15 {
            case 0: return !u && x == y
            case 1: return !u && x < y
            case 2: return !u && x <= y
            case 3: return u
            case 4: return u || x != y
            case 5: return u || !(x < y)
            case 6: return u || !(x <= y)
            case 7: return !u
            case 8: return u || x == y
            case 9: return u || x < y
            case 10: return u || x <= y
            case 11: return false
            case 12: return !u && x != y
            case 13: return !u && x >= y
            case 14: return !u && x > y
            default: return true
            }
        }
        /// Packs of 32-bit lanes (or of 16-bit halves) per 128-bit lane: a's part, then b's.
        func pack(_ a: Lanes, _ b: Lanes, from: Int, lo: Int32, hi: Int32) -> Lanes {
            let per = 128 / from, outBits = from / 2   // elements per 128-bit lane, result width
            func element(_ v: Lanes, _ i: Int) -> Int32 {
                from == 32 ? i32(v[i]) : Int32(Int16(truncatingIfNeeded: v[i / 2] >> (16 * UInt32(i % 2))))
            }
            var outs: [UInt32] = []
            for l in 0..<4 {
                for v in [a, b] { for j in 0..<per { outs.append(sat(element(v, per * l + j), lo, hi)) } }
            }
            var res = Lanes(repeating: 0, count: 16)
            for (i, x) in outs.enumerated() {
                res[i * outBits / 32] |= (x & (outBits == 16 ? 0xFFFF : 0xFF)) << UInt32((i * outBits) % 32)
            }
            return res
        }
        var r = XorShift32(seed: 5)
        for round in 0..<2000 {
            let (a, b, c) = Self.operands(&r, kind: round % 4)
            func emu(_ op: Int32) -> Lanes { Self.probe(op, a, b, c, native: false) }
            let fa = a.map(Self.f), fb = b.map(Self.f), fc = c.map(Self.f)
            let ctx = "round \(round): a \(a) b \(b) c \(c)"
            XCTAssertEqual(emu(Int32(QB_PROBE_CVTPS_EPI32)),
                           fa.map { cvt($0, $0.rounded(.toNearestOrEven)) }, "cvtps_epi32 \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_CVTTPS_EPI32)),
                           fa.map { cvt($0, $0.rounded(.towardZero)) }, "cvttps_epi32 \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_PACKS_EPI32)), pack(a, b, from: 32, lo: -32768, hi: 32767), "packs_epi32 \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_PACKUS_EPI32)), pack(a, b, from: 32, lo: 0, hi: 65535), "packus_epi32 \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_PACKS_EPI16)), pack(a, b, from: 16, lo: -128, hi: 127), "packs_epi16 \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_PACKUS_EPI16)), pack(a, b, from: 16, lo: 0, hi: 255), "packus_epi16 \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_PERMUTEXVAR_EPI32)), (0..<16).map { b[Int(a[$0] & 15)] }, "permutexvar \(ctx)")
            // vminps / vmaxps: the second operand unless the comparison holds.
            XCTAssertEqual(emu(Int32(QB_PROBE_MIN_PS)), (0..<16).map { fa[$0] < fb[$0] ? a[$0] : b[$0] }, "min_ps \(ctx)")
            XCTAssertEqual(emu(Int32(QB_PROBE_MAX_PS)), (0..<16).map { fa[$0] > fb[$0] ? a[$0] : b[$0] }, "max_ps \(ctx)")
            let fmadd = emu(Int32(QB_PROBE_FMADD_PS)), fnmadd = emu(Int32(QB_PROBE_FNMADD_PS))
            for j in 0..<16 {
                let want = fc[j].addingProduct(fa[j], fb[j]), wantN = fc[j].addingProduct(-fa[j], fb[j])
                if want.isNaN { XCTAssertTrue(Self.f(fmadd[j]).isNaN, "fmadd \(ctx)") } else { XCTAssertEqual(fmadd[j], want.bitPattern, "fmadd \(ctx)") }
                if wantN.isNaN { XCTAssertTrue(Self.f(fnmadd[j]).isNaN, "fnmadd \(ctx)") } else { XCTAssertEqual(fnmadd[j], wantN.bitPattern, "fnmadd \(ctx)") }
            }
            XCTAssertEqual(bitsOrNaN(emu(Int32(QB_PROBE_FLOOR_PS))), bitsOrNaN(fa.map { $0.rounded(.down).bitPattern }), "floor \(ctx)")
            XCTAssertEqual(bitsOrNaN(emu(Int32(QB_PROBE_DIV_PS))), bitsOrNaN((0..<16).map { (fa[$0] / fb[$0]).bitPattern }), "div \(ctx)")
            let mask = b[0] & 0xFFFF
            var bytes = Lanes(repeating: 0, count: 16)
            for j in 0..<16 where (mask >> UInt32(j)) & 1 == 1 { bytes[j / 4] |= (a[j] & 0xFF) << UInt32(8 * (j % 4)) }
            XCTAssertEqual(emu(Int32(QB_PROBE_CVTEPI32_EPI8_MASKSTORE)), bytes, "cvtepi32_epi8 + mask_storeu_epi8 \(ctx)")
            let k = a[0] & 0xFFFF
            var blend = Lanes(repeating: 0, count: 16)
            for j in 0..<16 {
                let set = (k >> UInt32(j)) & 1 == 1
                if j < 8 { blend[j] = set ? c[j] : b[j] } else { blend[j] = set ? b[j] : 0 }
            }
            XCTAssertEqual(emu(Int32(QB_PROBE_BLEND_MOV_PS)), blend, "mask_blend / maskz_mov \(ctx)")
            for p in 0..<32 {
                var m: UInt32 = 0
                for j in 0..<16 where cmp(fa[j], fb[j], p) { m |= 1 << UInt32(j) }
                XCTAssertEqual(emu(Int32(QB_PROBE_CMP_PS_MASK) + Int32(p))[0], m, "cmp_ps_mask predicate \(p) \(ctx)")
            }
        }
    }

    /// NaN results compared as "some NaN" (their payload is the silicon test's business).
    func bitsOrNaN(_ x: Lanes) -> Lanes { x.map { Float(bitPattern: $0).isNaN ? 0x7FC0_0000 : $0 } }
}
