import _CKernels
import XCTest

/// The fused FP32 attention (qb_attention.h): every version (`avx2`, `avx512`, `avx512_emu`) and the dispatched
/// entry point under every family are bit-identical with `qb_attention_f32_ref`, which in turn is bit-identical with
/// the composition the engine ran before it (qb_sgemm Q·Kᵀ → qb_softmax_masked_f32_det per row → qb_sgemm P·V), over
/// ragged S, L and d, masks with all-masked rows, and special values.
final class AttentionParityTests: XCTestCase {
    static let versions = ["ref", "avx2", "avx512", "avx512_emu"]

    struct Case: CustomStringConvertible {
        var s: Int, l: Int, d: Int
        var ld: Int { 3 * d + 5 }   // the head's columns inside a wider row, as in [tokens, hidden]
        var description: String { "S=\(s) L=\(l) d=\(d)" }
    }

    struct Operands {
        var q: [Float], k: [Float], v: [Float], keep: [Float]
        var scale: Float
    }

    static let shapes: [(Int, Int, Int)] = [
        (1, 1, 64), (7, 5, 64), (128, 128, 64), (128, 40, 64), (128, 120, 64), (9, 9, 64), (33, 17, 32),
        (20, 20, 48), (9, 31, 80), (13, 13, 20), (6, 3, 13), (50, 49, 72), (8, 8, 1), (17, 33, 16), (40, 16, 100),
    ]

    static func operands(_ c: Case, seed: UInt32, maskedTail: Bool = true) -> Operands {
        var r = XorShift32(seed: seed)
        let q = (0..<(c.s * c.ld)).map { _ in r.float(-3, 3) }
        let k = (0..<(c.l * c.ld)).map { _ in r.float(-3, 3) }
        let v = (0..<(c.l * c.ld)).map { _ in r.float(-2, 2) }
        // Some masked keys inside L (padding in the middle and at the end), position 0 always kept.
        var keep = (0..<c.l).map { j in j == 0 || r.int(0, 4) != 0 ? Float(1) : 0 }
        if maskedTail && c.l > 4 { for j in (c.l - 2)..<c.l { keep[j] = 0 } }
        return Operands(q: q, k: k, v: v, keep: keep, scale: 1 / Float(c.d).squareRoot())
    }

    /// Runs `body` on the args of `c` with ctx [S, ld] prefilled with a sentinel (so unwritten columns show), and
    /// returns ctx.
    static func run(_ c: Case, _ o: Operands, _ body: (UnsafePointer<qb_attention_args>, UnsafeMutablePointer<Float>) -> Void)
        -> [Float] {
        var ctx = [Float](repeating: -7.5, count: c.s * c.ld)
        var scratch = [Float](repeating: .nan, count: qb_attention_scratch_floats(Int32(c.l), Int32(c.d)))
        o.q.withUnsafeBufferPointer { q in
        o.k.withUnsafeBufferPointer { k in
        o.v.withUnsafeBufferPointer { v in
        o.keep.withUnsafeBufferPointer { keep in
        ctx.withUnsafeMutableBufferPointer { cp in
        scratch.withUnsafeMutableBufferPointer { sp in
            var a = qb_attention_args(S: Int32(c.s), L: Int32(c.l), d: Int32(c.d), q: q.baseAddress, k: k.baseAddress,
                                      v: v.baseAddress, ldq: Int32(c.ld), ldk: Int32(c.ld), ldv: Int32(c.ld),
                                      keep: keep.baseAddress, scale: o.scale, ctx: cp.baseAddress, ldc: Int32(c.ld))
            body(&a, sp.baseAddress!)
        }}}}}}
        return ctx
    }

    static func reference(_ c: Case, _ o: Operands, det: Bool = true) -> [Float] {
        run(c, o) { a, s in
            if det { qb_attention_f32_ref(a, qb_softmax_masked_f32_det, s) } else { qb_attention_f32_ref(a, qb_softmax_masked_f32, s) }
        }
    }

    /// What BertModel.attention did before the fused kernel (reproducible mode): two qb_sgemm calls around the
    /// deterministic softmax of each row over L columns.
    static func composition(_ c: Case, _ o: Operands) -> [Float] {
        var ctx = [Float](repeating: -7.5, count: c.s * c.ld)
        var scores = [Float](repeating: 0, count: c.s * c.l)
        XCTAssertEqual(qb_sgemm(0, 1, Int32(c.s), Int32(c.l), Int32(c.d), 1, o.q, Int32(c.ld), o.k, Int32(c.ld), 0,
                                &scores, Int32(c.l)), 0)
        scores.withUnsafeMutableBufferPointer { sp in
            for i in 0..<c.s { qb_softmax_masked_f32_det(sp.baseAddress! + i * c.l, c.l, o.scale, o.keep) }
        }
        XCTAssertEqual(qb_sgemm(0, 0, Int32(c.s), Int32(c.d), Int32(c.l), 1, scores, Int32(c.l), o.v, Int32(c.ld), 0,
                                &ctx, Int32(c.ld)), 0)
        return ctx
    }

    static func version(_ name: String, _ c: Case, _ o: Operands, det: Bool = true) -> [Float]? {
        var ok = Int32(0)
        let got = run(c, o) { a, s in ok = qb_attention_f32_version(name, a, det ? 1 : 0, s) }
        return ok == 1 ? got : nil
    }

    static var cases: [Case] { shapes.map { Case(s: $0.0, l: $0.1, d: $0.2) } }

    func testEveryVersionBitIdenticalWithReference() throws {
        var ran = Set<String>()
        for (i, c) in Self.cases.enumerated() {
            let o = Self.operands(c, seed: UInt32(40 + i))
            for det in [true, false] {
                let want = Self.reference(c, o, det: det)
                for name in Self.versions {
                    guard let got = Self.version(name, c, o, det: det) else { continue }
                    ran.insert(name)
                    assertSameBits(got, want, "\(name) det=\(det) \(c)")
                }
            }
        }
        XCTAssertTrue(ran.isSuperset(of: ["ref", "avx512_emu"]), "ran: \(ran.sorted())")
        print("AttentionParityTests: versions run: \(ran.sorted().joined(separator: ", "))")
    }

    /// The reference equals the former composition, and the context only fills the d columns of each row.
    func testReferenceEqualsSgemmSoftmaxSgemm() {
        for (i, c) in Self.cases.enumerated() {
            let o = Self.operands(c, seed: UInt32(200 + i))
            let want = Self.composition(c, o)
            let got = Self.reference(c, o)
            assertSameBits(got, want, "ref vs composition \(c)")
            for row in 0..<c.s { XCTAssertEqual(got[row * c.ld + c.d], -7.5, "column d of row \(row) written, \(c)") }
        }
    }

    /// Under every family forced, the dispatched kernel equals the composition (whose qb_sgemm runs that family's
    /// micro-kernel) and names the family's version.
    func testDispatchedEveryFamilyEqualsComposition() throws {
        let names = ["ref": "scalar", "avx2": "avx2-6x16", "avx512vnni": "avx512-8x32", "amx": "avx512-8x32",
                     "amx_emu": "scalar", "avx512vnni_emu": "avx512_emu-8x32"]
        let cases = Self.cases
        let data = cases.enumerated().map { i, c in Self.operands(c, seed: UInt32(500 + i)) }
        try forEachFamily { family in
            XCTAssertEqual(String(cString: qb_attention_kernel_name()), names[family.rawValue], family.rawValue)
            for (c, o) in zip(cases, data) {
                let got = Self.run(c, o) { a, s in qb_attention_f32(a, 1, s) }
                assertSameBits(got, Self.composition(c, o), "\(family.rawValue) dispatched \(c)")
            }
        }
    }

    /// Rows whose every key is masked (an all-padding sequence: the softmax's 0 · (1/0) gives NaN) and a head with
    /// no keys at all (L = 0: the context is 0).
    func testAllMaskedRowsAndNoKeys() throws {
        let c = Case(s: 19, l: 24, d: 64)
        var o = Self.operands(c, seed: 7)
        o.keep = [Float](repeating: 0, count: c.l)
        let want = Self.composition(c, o)
        XCTAssertTrue(want[0].isNaN, "an all-masked row is NaN in the composition")
        assertSameBits(Self.reference(c, o), want, "ref all masked")
        for name in Self.versions {
            guard let got = Self.version(name, c, o) else { continue }
            assertSameBits(got, want, "\(name) all masked")
        }
        let empty = Case(s: 10, l: 0, d: 48)
        let e = Self.operands(empty, seed: 8)
        for name in Self.versions {
            guard let got = Self.version(name, empty, e) else { continue }
            for row in 0..<empty.s {
                XCTAssertEqual(Array(got[(row * empty.ld)..<(row * empty.ld + empty.d)].map(\.bitPattern)),
                               [UInt32](repeating: 0, count: empty.d), "\(name) L = 0 row \(row)")
            }
        }
    }

    /// NaN, ±inf, signed zeros, huge and subnormal values in Q, K and V propagate as in the scalar chains.
    func testSpecialValuesBitIdentical() throws {
        let c = Case(s: 23, l: 37, d: 48)
        var o = Self.operands(c, seed: 11, maskedTail: false)
        let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, 3e38, -3e38, 1e-40]
        for (i, x) in specials.enumerated() {
            o.q[(i * 97 + 5) % o.q.count] = x
            o.k[(i * 61 + 13) % o.k.count] = x
            o.v[(i * 53 + 29) % o.v.count] = x
        }
        // A row of V that is all -0 (a key whose contribution is -0 · p).
        for t in 0..<c.d { o.v[3 * c.ld + t] = -0.0 }
        let want = Self.composition(c, o)
        XCTAssertTrue(want.contains { $0.isNaN } && want.contains { $0.isFinite })
        assertSameBits(Self.reference(c, o), want, "ref special values")
        for det in [true, false] {
            let ref = Self.reference(c, o, det: det)
            for name in Self.versions {
                guard let got = Self.version(name, c, o, det: det) else { continue }
                assertSameBits(got, ref, "\(name) det=\(det) special values")
            }
        }
    }

    /// The reference is the FMA chain in order: the comparisons above can tell it from a sum of rounded products.
    func testReferenceIsTheFMAChain() {
        let c = Case(s: 4, l: 200, d: 64)
        let o = Self.operands(c, seed: 13, maskedTail: false)
        let want = Self.reference(c, o)
        var chained = 0, unfusedDiffers = 0
        for i in 0..<c.s {
            var p = (0..<c.l).map { j -> Float in
                var acc: Float = 0
                for t in 0..<c.d { acc = acc.addingProduct(o.q[i * c.ld + t], o.k[j * c.ld + t]) }
                return acc
            }
            p.withUnsafeMutableBufferPointer { qb_softmax_masked_f32_det($0.baseAddress, c.l, o.scale, o.keep) }
            for x in 0..<c.d {
                var acc: Float = 0, plain: Float = 0
                for j in 0..<c.l {
                    acc = acc.addingProduct(p[j], o.v[j * c.ld + x])
                    plain = plain + p[j] * o.v[j * c.ld + x]
                }
                if acc.bitPattern == want[i * c.ld + x].bitPattern { chained += 1 }
                if plain.bitPattern != want[i * c.ld + x].bitPattern { unfusedDiffers += 1 }
            }
        }
        XCTAssertEqual(chained, c.s * c.d, "qb_attention_f32_ref is not the FMA chains in order")
        XCTAssertGreaterThan(unfusedDiffers, 0, "mul-then-add gives the same bits: the parity test would not notice")
    }

    func testUnknownVersionRefused() {
        let c = Case(s: 2, l: 2, d: 4)
        XCTAssertNil(Self.version("avx1024", c, Self.operands(c, seed: 1)))
    }
}
