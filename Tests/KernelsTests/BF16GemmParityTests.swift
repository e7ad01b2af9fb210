import Foundation
import XCTest
import _CKernels

/// The bf16 GEMM (qb_bf16.h): every kernel bit-exact with `qb_gemm_bf16_packed_ref` on the same pack — the native
/// AVX512-BF16 kernel where the CPU has it, its emulation (packed while `avx512vnni_emu` is forced) everywhere —
/// over ragged shapes, column ranges, with and without bias, for ordinary values and for values around the
/// subnormal range (DAZ/FTZ). The reference itself is checked against an FMA chain written here from the formula.
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

    /// `kernel` and `ref` on one pack; columns [n0, n1) of every row, the rest left at a sentinel.
    func compare(_ pack: OpaquePointer, _ s: (m: Int, n: Int, k: Int), _ a: [Float], _ bias: [Float]?,
                 label: String) {
        let n0 = s.n > 5 ? 3 : 0, n1 = s.n > 5 ? s.n - 1 : s.n
        var got = [Float](repeating: -7, count: s.m * s.n), want = got
        a.withUnsafeBufferPointer { ap in
            let call = { (b: UnsafePointer<Float>?) in
                got.withUnsafeMutableBufferPointer {
                    qb_gemm_bf16_packed(Int32(s.m), ap.baseAddress, Int32(s.k), pack, Int32(n0), Int32(n1), b,
                                        $0.baseAddress, Int32(s.n))
                }
                want.withUnsafeMutableBufferPointer {
                    qb_gemm_bf16_packed_ref(Int32(s.m), ap.baseAddress, Int32(s.k), pack, Int32(n0), Int32(n1), b,
                                            $0.baseAddress, Int32(s.n))
                }
            }
            if let bias { bias.withUnsafeBufferPointer { call($0.baseAddress) } } else { call(nil) }
        }
        let diff = zip(got, want).filter { $0.bitPattern != $1.bitPattern }.count
        XCTAssertEqual(diff, 0, "\(label) m=\(s.m) n=\(s.n) k=\(s.k) bias=\(bias != nil): \(diff) outputs differ from the reference")
    }

    func runTable(expectKernel: String) {
        var cases = 0
        for (i, s) in Self.shapes.enumerated() {
            for tiny in [false, true] {
                let (a, w, bias) = inputs(s, tiny: tiny, seed: UInt32(977 * i + (tiny ? 13 : 1)))
                let pack = w.withUnsafeBufferPointer { qb_pack_bf16($0.baseAddress, Int32(s.n), Int32(s.k), Int32(s.k)) }!
                defer { qb_packed_bf16_free(pack) }
                XCTAssertEqual(String(cString: qb_packed_bf16_kernel_name(pack)), expectKernel)
                compare(pack, s, a, nil, label: "\(expectKernel) tiny=\(tiny)")
                compare(pack, s, a, bias, label: "\(expectKernel) tiny=\(tiny)")
                cases += 2
            }
        }
        XCTAssertEqual(cases, 4 * Self.shapes.count)
    }

    func testNativeAVX512BF16MatchesReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx512f != 0, f.avx512_bf16 != 0, String(cString: qb_qgemm_kernel_name()) != "ref" else {
            throw XCTSkip("this CPU has no AVX512-BF16 (the emulated kernel is tested below)")
        }
        runTable(expectKernel: "avx512bf16")
    }

    func testEmulatedAVX512BF16MatchesReference() throws {
        try withKernel(.avx512vnniEmulated) { runTable(expectKernel: "avx512bf16_emu") }
    }

    func testReferenceFamilyPacksForTheReference() throws {
        try withKernel(.ref) { runTable(expectKernel: "ref") }
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
