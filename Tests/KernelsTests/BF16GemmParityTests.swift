import Foundation
import XCTest
import _CKernels

/// The bf16 GEMM (qb_bf16.h): every kernel bit-exact with its scalar model on the same pack — the native
/// AVX512-BF16 kernel where the CPU has it and its emulation (packed while `avx512vnni_emu` is forced) against
/// `qb_gemm_bf16_packed_ref`; the AMX-BF16 kernel natively where the CPU has AMX-BF16 and on emulated TDPBF16PS
/// everywhere against `qb_gemm_bf16_packed_amx_ref` (TDPBF16PS cannot compute the reference's single FMA chain) —
/// over ragged shapes, column ranges, with and without bias, for ordinary values and for values around the
/// subnormal range (DAZ/FTZ). Both references are checked against formulas written here.
final class BF16GemmParityTests: XCTestCase {
    static let shapes: [(m: Int, n: Int, k: Int)] = [
        (1, 1, 1), (3, 17, 5), (7, 9, 0), (13, 37, 127), (50, 33, 384), (49, 40, 385), (9, 24, 1000),
        (70, 100, 390), (65, 50, 769), (20, 48, 3072),
    ]

    func inputs(_ s: (m: Int, n: Int, k: Int), tiny: Bool, seed: UInt32) -> (a: [Float], w: [Float], bias: [Float]) {
        var r = XorShift32(seed: seed)
        func value() -> Float {
            if !tiny { return r.float(-4, 4) }
            // Exponents 0…69: subnormals and tiny normals, so products and sums reach the flush-to-zero range.
            let bits = (r.next() & 0x807F_FFFF) | (UInt32(r.int(0, 69)) << 23)
            return Float(bitPattern: bits)
        }
        return ((0..<(s.m * s.k)).map { _ in value() }, (0..<(s.n * s.k)).map { _ in value() },
                (0..<s.n).map { _ in r.float(-2, 2) })
    }

    typealias Gemm = (Int32, UnsafePointer<Float>?, Int32, OpaquePointer?, Int32, Int32, UnsafePointer<Float>?,
                      UnsafeMutablePointer<Float>?, Int32) -> Void

    /// `qb_gemm_bf16_packed` (the pack's kernel) and `reference` on one pack; columns [n0, n1) of every row, the rest
    /// left at a sentinel.
    func compare(_ pack: OpaquePointer, _ s: (m: Int, n: Int, k: Int), _ a: [Float], _ bias: [Float]?,
                 reference: @escaping Gemm, label: String) {
        let n0 = s.n > 5 ? 3 : 0, n1 = s.n > 5 ? s.n - 1 : s.n
        var got = [Float](repeating: -7, count: s.m * s.n), want = got
        a.withUnsafeBufferPointer { ap in
            let call = { (b: UnsafePointer<Float>?) in
                got.withUnsafeMutableBufferPointer {
                    qb_gemm_bf16_packed(Int32(s.m), ap.baseAddress, Int32(s.k), pack, Int32(n0), Int32(n1), b,
                                        $0.baseAddress, Int32(s.n))
                }
                want.withUnsafeMutableBufferPointer {
                    reference(Int32(s.m), ap.baseAddress, Int32(s.k), pack, Int32(n0), Int32(n1), b, $0.baseAddress,
                              Int32(s.n))
                }
            }
            if let bias { bias.withUnsafeBufferPointer { call($0.baseAddress) } } else { call(nil) }
        }
        let diff = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(diff, 0, "\(label) m=\(s.m) n=\(s.n) k=\(s.k) bias=\(bias != nil): \(diff) outputs differ from the reference")
    }

    /// Every shape × {ordinary, tiny} × {no bias, bias}: `makePack`'s pack (nil fails the test) runs `expectKernel`,
    /// bit-exact with `reference`.
    func runTable(expectKernel: String, reference: @escaping Gemm = qb_gemm_bf16_packed_ref,
                  makePack: ([Float], Int, Int) -> OpaquePointer? = { w, n, k in
                      w.withUnsafeBufferPointer { qb_pack_bf16($0.baseAddress, Int32(n), Int32(k), Int32(k)) }
                  }) throws {
        var cases = 0
        for (i, s) in Self.shapes.enumerated() {
            for tiny in [false, true] {
                let (a, w, bias) = inputs(s, tiny: tiny, seed: UInt32(977 * i + (tiny ? 13 : 1)))
                let pack = try XCTUnwrap(makePack(w, s.n, s.k), "no \(expectKernel) pack")
                defer { qb_packed_bf16_free(pack) }
                XCTAssertEqual(String(cString: qb_packed_bf16_kernel_name(pack)), expectKernel)
                compare(pack, s, a, nil, reference: reference, label: "\(expectKernel) tiny=\(tiny)")
                compare(pack, s, a, bias, reference: reference, label: "\(expectKernel) tiny=\(tiny)")
                cases += 2
            }
        }
        XCTAssertEqual(cases, 4 * Self.shapes.count)
    }

    static func packFor(_ kernel: String) -> ([Float], Int, Int) -> OpaquePointer? {
        { w, n, k in w.withUnsafeBufferPointer { qb_pack_bf16_for_kernel($0.baseAddress, Int32(n), Int32(k), Int32(k), kernel) } }
    }

    func testNativeAVX512BF16MatchesReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx512f != 0, f.avx512_bf16 != 0, String(cString: qb_qgemm_kernel_name()) != "ref" else {
            throw XCTSkip("this CPU has no AVX512-BF16 (the emulated kernel is tested below)")
        }
        try runTable(expectKernel: "avx512bf16")
    }

    func testEmulatedAVX512BF16MatchesReference() throws {
        try withKernel(.avx512vnniEmulated) { try runTable(expectKernel: "avx512bf16_emu") }
    }

    func testReferenceFamilyPacksForTheReference() throws {
        try withKernel(.ref) { try runTable(expectKernel: "ref") }
    }

    /// The AMX-BF16 kernel on emulated TDPBF16PS, packed by the amx_emu family and by name.
    func testEmulatedAMXBF16MatchesItsModel() throws {
        try withKernel(.amxEmulated) { try runTable(expectKernel: "amx_emu", reference: qb_gemm_bf16_packed_amx_ref) }
        try runTable(expectKernel: "amx_emu", reference: qb_gemm_bf16_packed_amx_ref, makePack: Self.packFor("amx_emu"))
    }

    func testNativeAMXBF16MatchesItsModel() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.amx_bf16 != 0 else { throw XCTSkip("this CPU has no AMX-BF16 (the emulated kernel is tested above)") }
        try runTable(expectKernel: "amx", reference: qb_gemm_bf16_packed_amx_ref, makePack: Self.packFor("amx"))
    }

    /// Only the names of kernels this machine runs give a pack.
    func testPackForKernelRefusesUnknownNames() {
        let w: [Float] = [1, 2, 3, 4]
        XCTAssertNil(Self.packFor("avx512")(w, 2, 2))
        XCTAssertNil(Self.packFor("")(w, 2, 2))
        for name in ["ref", "avx512bf16_emu", "amx_emu"] {
            let p = Self.packFor(name)(w, 2, 2)
            XCTAssertNotNil(p, name)
            if let p { XCTAssertEqual(String(cString: qb_packed_bf16_kernel_name(p)), name); qb_packed_bf16_free(p) }
        }
    }

    /// The reference against the formula of qb_bf16.h, written out here: acc ← ftz(fma(bf16(a_k), bf16(w_k), acc)).
    func testReferenceIsTheFMAChain() {
        let s = (m: 5, n: 19, k: 77)
        for tiny in [false, true] {
            let (a, w, bias) = inputs(s, tiny: tiny, seed: tiny ? 5 : 6)
            let pack = w.withUnsafeBufferPointer { qb_pack_bf16($0.baseAddress, Int32(s.n), Int32(s.k), Int32(s.k)) }!
            defer { qb_packed_bf16_free(pack) }
            var got = [Float](repeating: 0, count: s.m * s.n)
            a.withUnsafeBufferPointer { ap in bias.withUnsafeBufferPointer { bp in got.withUnsafeMutableBufferPointer {
                qb_gemm_bf16_packed_ref(Int32(s.m), ap.baseAddress, Int32(s.k), pack, 0, Int32(s.n), bp.baseAddress,
                                        $0.baseAddress, Int32(s.n))
            }}}
            func ftz(_ x: Float) -> Float { abs(x) < Float.leastNormalMagnitude ? Float(signOf: x, magnitudeOf: 0) : x }
            for m in 0..<s.m {
                for n in 0..<s.n {
                    var acc: Float = 0
                    for k in 0..<s.k { acc = ftz(acc.addingProduct(Self.bf16(a[m * s.k + k]), Self.bf16(w[n * s.k + k]))) }
                    if s.k % 2 == 1 { acc = ftz(acc.addingProduct(0, 0)) }
                    let want = acc + bias[n]
                    XCTAssertEqual(got[m * s.n + n].bitPattern, want.bitPattern, "tiny=\(tiny) m=\(m) n=\(n)")
                }
            }
        }
    }

    /// The AMX model against its formula (qb_bf16.h), written out here: per block of 32 k, an even and an odd FMA
    /// chain from +0, acc ← ftz(acc + ftz(e + o)); and it is not the scheme's chain (most outputs differ in the last
    /// bits), but close to it.
    func testAMXModelIsTheBlockedPairSum() throws {
        let s = (m: 4, n: 21, k: 101)
        func ftz(_ x: Float) -> Float { abs(x) < Float.leastNormalMagnitude ? Float(signOf: x, magnitudeOf: 0) : x }
        for tiny in [false, true] {
            let (a, w, bias) = inputs(s, tiny: tiny, seed: tiny ? 7 : 8)
            let pack = try XCTUnwrap(Self.packFor("amx_emu")(w, s.n, s.k))
            defer { qb_packed_bf16_free(pack) }
            var got = [Float](repeating: 0, count: s.m * s.n), chain = got
            a.withUnsafeBufferPointer { ap in bias.withUnsafeBufferPointer { bp in
                got.withUnsafeMutableBufferPointer {
                    qb_gemm_bf16_packed_amx_ref(Int32(s.m), ap.baseAddress, Int32(s.k), pack, 0, Int32(s.n),
                                                bp.baseAddress, $0.baseAddress, Int32(s.n))
                }
                chain.withUnsafeMutableBufferPointer {
                    qb_gemm_bf16_packed_ref(Int32(s.m), ap.baseAddress, Int32(s.k), pack, 0, Int32(s.n), bp.baseAddress,
                                            $0.baseAddress, Int32(s.n))
                }
            }}
            var differ = 0
            for m in 0..<s.m {
                for n in 0..<s.n {
                    var acc: Float = 0, sumAbs: Float = 0
                    for b in 0..<((s.k + 31) / 32) {
                        var e: Float = 0, o: Float = 0
                        for k in stride(from: 32 * b, to: min(32 * b + 32, s.k), by: 1) {
                            let x = Self.bf16(a[m * s.k + k]), y = Self.bf16(w[n * s.k + k])
                            if k % 2 == 0 { e = ftz(e.addingProduct(x, y)) } else { o = ftz(o.addingProduct(x, y)) }
                            sumAbs += abs(x * y)
                        }
                        // Zero padding past K: each missing k is one more ftz(fma(0, 0, ·)), which turns -0 into +0.
                        for k in stride(from: max(32 * b, s.k), to: 32 * b + 32, by: 1) {
                            if k % 2 == 0 { e = ftz(e.addingProduct(0, 0)) } else { o = ftz(o.addingProduct(0, 0)) }
                        }
                        acc = ftz(acc + ftz(e + o))
                    }
                    let want = acc + bias[n], i = m * s.n + n
                    XCTAssertEqual(got[i].bitPattern, want.bitPattern, "tiny=\(tiny) m=\(m) n=\(n)")
                    if got[i].bitPattern != chain[i].bitPattern { differ += 1 }
                    // Both are sums of the same exact products in another order: within (K + 2)·2⁻²⁴·Σ|p| of each
                    // other, plus what flushing can lose (2⁻¹²⁶ per step).
                    let bound = Float(s.k + 2) * 0x1p-24 * sumAbs * 2 + Float(2 * s.k + 4) * Float.leastNormalMagnitude
                    XCTAssertLessThanOrEqual(abs((got[i] - bias[n]) - (chain[i] - bias[n])), bound, "tiny=\(tiny) m=\(m) n=\(n)")
                }
            }
            if !tiny { XCTAssertGreaterThan(differ, s.m * s.n / 8, "the AMX model should differ from the k-order chain") }
        }
    }

    /// bf16(x) as qb_bf16.h defines it, written here from the definition.
    static func bf16(_ x: Float) -> Float {
        if x.isNaN { return Float(bitPattern: (x.bitPattern | 0x0040_0000) & 0xFFFF_0000) }
        if x.isSubnormal || x == 0 { return Float(signOf: x, magnitudeOf: 0) }
        let u = x.bitPattern
        let r = u &+ 0x7FFF &+ ((u >> 16) & 1)
        return Float(bitPattern: r & 0xFFFF_0000)
    }

    func testConversionMatchesDefinition() {
        var r = XorShift32(seed: 99)
        var xs: [Float] = [0, -0.0, 1, -1, .infinity, -.infinity, .nan, Float.leastNormalMagnitude,
                           Float.leastNonzeroMagnitude, -Float.leastNonzeroMagnitude, Float.greatestFiniteMagnitude,
                           Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), Float(bitPattern: 0x007F_FFFF)]
        for _ in 0..<20_000 { xs.append(Float(bitPattern: r.next())) }
        var h = [UInt16](repeating: 0, count: xs.count)
        xs.withUnsafeBufferPointer { x in h.withUnsafeMutableBufferPointer { qb_f32_to_bf16(x.baseAddress, xs.count, $0.baseAddress) } }
        var back = [Float](repeating: 0, count: xs.count)
        h.withUnsafeBufferPointer { hp in back.withUnsafeMutableBufferPointer { qb_bf16_to_f32(hp.baseAddress, xs.count, $0.baseAddress) } }
        for (i, x) in xs.enumerated() {
            XCTAssertEqual(back[i].bitPattern, Self.bf16(x).bitPattern, "bf16(\(x)) bits \(String(x.bitPattern, radix: 16))")
        }
        // Ties to even: 1 + 2⁻⁸ → 1, 1 + 3·2⁻⁸ → 1 + 2⁻⁶; the largest subnormal is read as 0 (DAZ), not rounded up.
        XCTAssertEqual(back[11], 1)
        XCTAssertEqual(back[12], Float(bitPattern: 0x3F82_0000))
        XCTAssertEqual(back[13].bitPattern, 0)
    }
}
