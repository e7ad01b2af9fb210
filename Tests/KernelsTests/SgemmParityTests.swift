import _CKernels
import XCTest

/// The deterministic FP32 GEMM (qb_sgemm.h): every family's micro-kernel, through the shared blocked driver, is
/// bit-identical with `qb_sgemm_ref` (the FMA chain in k order that defines it) over ragged shapes, every transpose
/// the engine uses, alpha/beta variants, special values, and any split of the rows.
final class SgemmParityTests: XCTestCase {
    /// "avx512vnni_emu": the AVX-512F micro-kernel's source on the emulated intrinsics of qb_avx512_emu.h.
    static let families = ["ref", "avx2", "avx512vnni", "amx", "amx_emu", "avx512vnni_emu"]

    struct Case {
        var transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, beta: Float
        var lda: Int { transA ? m + 3 : k + 1 }   // padded strides: row strides are honoured
        var ldb: Int { transB ? k + 2 : n + 5 }
        var ldc: Int { n + 7 }
    }

    static func operands(_ c: Case, seed: UInt32) -> (a: [Float], b: [Float], cInit: [Float]) {
        var r = XorShift32(seed: seed)
        let a = (0..<((c.transA ? c.k : c.m) * c.lda)).map { _ in r.float(-2, 2) }
        let b = (0..<((c.transB ? c.n : c.k) * c.ldb)).map { _ in r.float(-2, 2) }
        let cInit = (0..<(c.m * c.ldc)).map { _ in r.float(-1, 1) }
        return (a, b, cInit)
    }

    static func reference(_ c: Case, _ a: [Float], _ b: [Float], _ cInit: [Float]) -> [Float] {
        var out = cInit
        qb_sgemm_ref(c.transA ? 1 : 0, c.transB ? 1 : 0, Int32(c.m), Int32(c.n), Int32(c.k), c.alpha, a,
                     Int32(c.lda), b, Int32(c.ldb), c.beta, &out, Int32(c.ldc))
        return out
    }

    /// `family`'s micro-kernel on a pack of B; nil when this CPU cannot run it.
    static func packed(_ family: String, _ c: Case, _ a: [Float], _ b: [Float], _ cInit: [Float],
                       rowSplit: [Int] = []) -> [Float]? {
        let p = qb_sgemm_pack_b(c.transB ? 1 : 0, Int32(c.k), Int32(c.n), b, Int32(c.ldb))!
        defer { qb_packed_f32_free(p) }
        var out = cInit
        var cuts = [0] + rowSplit.filter { $0 > 0 && $0 < c.m } + [c.m]
        cuts = Array(Set(cuts)).sorted()
        var ok = true
        a.withUnsafeBufferPointer { ap in
            out.withUnsafeMutableBufferPointer { op in
                for (lo, hi) in zip(cuts, cuts.dropFirst()) {
                    // A row offset: [m, k] moves by rows, [k, m] (transA) by columns.
                    let aStart = ap.baseAddress! + (c.transA ? lo : lo * c.lda)
                    ok = ok && qb_sgemm_packed_family(family, c.transA ? 1 : 0, Int32(hi - lo), c.alpha, aStart,
                                                      Int32(c.lda), p, c.beta, op.baseAddress! + lo * c.ldc,
                                                      Int32(c.ldc)) == 1
                }
            }
        }
        return ok ? out : nil
    }

    static var cases: [Case] {
        var out: [Case] = []
        let shapes = [(1, 1, 1), (1, 17, 3), (5, 16, 16), (6, 32, 64), (7, 33, 31), (13, 47, 129), (37, 100, 5),
                      (128, 136, 64), (128, 64, 72), (2, 3, 0), (90, 50, 700), (350, 20, 12)]
        for (i, (m, n, k)) in shapes.enumerated() {
            for ta in [false, true] {
                for tb in [false, true] {
                    let (alpha, beta): (Float, Float) = [(1, 0), (1, 1), (0.5, 2), (-1.25, 0)][(i + (ta ? 1 : 0) + (tb ? 2 : 0)) % 4]
                    out.append(Case(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, beta: beta))
                }
            }
        }
        return out
    }

    func testEveryFamilyBitIdenticalWithReference() throws {
        var ran = Set<String>()
        for (i, c) in Self.cases.enumerated() {
            let (a, b, cInit) = Self.operands(c, seed: UInt32(100 + i))
            let want = Self.reference(c, a, b, cInit)
            for family in Self.families {
                guard let got = Self.packed(family, c, a, b, cInit) else { continue }
                ran.insert(family)
                assertSameBits(got, want, "\(family) \(c)")
            }
        }
        XCTAssertTrue(ran.contains("ref"))
        XCTAssertTrue(ran.contains("amx_emu"))
        XCTAssertEqual(ran.contains("avx512vnni_emu"), cpuRunsAVX2Family, "the emulated AVX-512 micro-kernel runs wherever AVX2 does")
        print("SgemmParityTests: families run: \(ran.sorted().joined(separator: ", "))")
    }

    /// Any split of the rows (what `DenseLinear` does over threads) gives the reference's bits.
    func testRowSplitsDoNotChangeBits() throws {
        let c = Case(transA: false, transB: true, m: 77, n: 70, k: 300, alpha: 1, beta: 1)
        let (a, b, cInit) = Self.operands(c, seed: 9)
        let want = Self.reference(c, a, b, cInit)
        for family in Self.families {
            for split in [[1], [38], [5, 11, 12, 60], Array(stride(from: 7, to: 77, by: 7))] {
                guard let got = Self.packed(family, c, a, b, cInit, rowSplit: split) else { continue }
                assertSameBits(got, want, "\(family) split at \(split)")
            }
        }
    }

    /// NaN, ±inf, signed zeros and huge magnitudes propagate exactly as in the scalar chain.
    func testSpecialValuesBitIdentical() throws {
        let c = Case(transA: false, transB: true, m: 9, n: 35, k: 40, alpha: 1, beta: 0)
        var (a, b, cInit) = Self.operands(c, seed: 3)
        let specials: [Float] = [.nan, .infinity, -.infinity, -0.0, 0, 3e38, -3e38, 1e-40]
        for (i, v) in specials.enumerated() {
            a[(i * 37) % a.count] = v
            b[(i * 53 + 11) % b.count] = v
        }
        let want = Self.reference(c, a, b, cInit)
        for family in Self.families {
            guard let got = Self.packed(family, c, a, b, cInit) else { continue }
            assertSameBits(got, want, family)
        }
    }

    /// The reference is the FMA chain, not a sum of rounded products: the comparison above can tell them apart.
    func testReferenceIsTheFMAChain() {
        let c = Case(transA: false, transB: false, m: 8, n: 8, k: 500, alpha: 1, beta: 0)
        let (a, b, cInit) = Self.operands(c, seed: 5)
        let want = Self.reference(c, a, b, cInit)
        var chained = 0, unfusedDiffers = 0
        for m in 0..<c.m {
            for n in 0..<c.n {
                var acc: Float = 0, plain: Float = 0
                for k in 0..<c.k {
                    let x = a[m * c.lda + k], y = b[k * c.ldb + n]
                    acc = acc.addingProduct(x, y)   // fused: one rounding
                    plain = plain + x * y
                }
                if acc.bitPattern == want[m * c.ldc + n].bitPattern { chained += 1 }
                if plain.bitPattern != want[m * c.ldc + n].bitPattern { unfusedDiffers += 1 }
            }
        }
        XCTAssertEqual(chained, c.m * c.n, "qb_sgemm_ref is not acc = fma(a, b, acc) in k order")
        XCTAssertGreaterThan(unfusedDiffers, 0, "mul-then-add gives the same bits: the parity test would not notice")
    }

    /// `qb_sgemm` as the engine calls it (B packed for the call when transposed, read in place otherwise with only
    /// a ragged last panel copied; A read in place) under every family forced, on every case: the reference's bits.
    func testDispatchedSgemmEveryCaseBitIdentical() throws {
        let cases = Self.cases
        let data = cases.enumerated().map { i, c in Self.operands(c, seed: UInt32(300 + i)) }
        let wants = zip(cases, data).map { c, d in Self.reference(c, d.a, d.b, d.cInit) }
        try forEachFamily { family in
            for (i, c) in cases.enumerated() {
                var got = data[i].cInit
                XCTAssertEqual(qb_sgemm(c.transA ? 1 : 0, c.transB ? 1 : 0, Int32(c.m), Int32(c.n), Int32(c.k), c.alpha,
                                        data[i].a, Int32(c.lda), data[i].b, Int32(c.ldb), c.beta, &got, Int32(c.ldc)), 0)
                assertSameBits(got, wants[i], "\(family.rawValue) qb_sgemm \(c)")
            }
        }
    }

    /// The dispatched entry point runs the forced family's micro-kernel and names it.
    func testDispatchedSgemmFollowsForcedFamily() throws {
        let c = Case(transA: false, transB: true, m: 20, n: 40, k: 50, alpha: 1, beta: 0)
        let (a, b, cInit) = Self.operands(c, seed: 21)
        let want = Self.reference(c, a, b, cInit)
        let names = ["ref": "scalar", "avx2": "avx2-6x16", "avx512vnni": "avx512-6x32", "amx": "avx512-6x32",
                     "amx_emu": "scalar", "avx512vnni_emu": "avx512_emu-6x32"]
        try forEachFamily { family in
            guard let expected = names[family.rawValue] else { return }
            XCTAssertEqual(String(cString: qb_sgemm_kernel_name()), expected, family.rawValue)
            var got = cInit
            XCTAssertEqual(qb_sgemm(0, 1, Int32(c.m), Int32(c.n), Int32(c.k), 1, a, Int32(c.lda), b, Int32(c.ldb), 0,
                                    &got, Int32(c.ldc)), 0)
            assertSameBits(got, want, family.rawValue)
        }
    }
}
