import XCTest
import _CKernels

/// `qb_qgemm_*_packed_f32` (GEMM with the requantization epilogue fused) against the two reference steps it
/// replaces — `qb_qgemm_*_ref` then `qb_requant_f32_ref` — bit-exact, for every kernel family × GEMM type × shape ×
/// epilogue variant (per-tensor / per-channel weights, per-tensor / per-row activations, zero point, bias), over the
/// full output and over an unaligned column range computed as two row chunks (how `QuantizedLinear` threads).
final class FusedGemmParityTests: XCTestCase {
    typealias GemmType = QGemmParityTests.GemmType
    typealias Shape = QGemmParityTests.Shape

    /// Shapes around the blocking grid: M not a multiple of 4 or 6, N not of 8 or 16, K below, at and past one
    /// K block (768), several K blocks, K = 0.
    static let shapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1), Shape(m: 3, n: 17, k: 5), Shape(m: 7, n: 9, k: 0), Shape(m: 13, n: 37, k: 127),
        Shape(m: 50, n: 33, k: 768), Shape(m: 49, n: 40, k: 769), Shape(m: 9, n: 24, k: 1000),
        Shape(m: 70, n: 100, k: 390), Shape(m: 53, n: 48, k: 3072), Shape(m: 128, n: 96, k: 768),
    ]

    struct Epilogue: CustomStringConvertible {
        let aPerRow, wPerChannel, zp, bias: Bool
        var description: String { "row=\(aPerRow) ch=\(wPerChannel) zp=\(zp) bias=\(bias)" }
        static let all: [Epilogue] = [false, true].flatMap { r in [false, true].flatMap { c in
            [false, true].flatMap { z in [false, true].map { b in Epilogue(aPerRow: r, wPerChannel: c, zp: z, bias: b) } } } }
    }

    func runTable(_ family: KernelFamily) throws {
        try withKernel(family) {
            var cases = 0
            for type in GemmType.allCases where !type.isExtreme || type == .u8s8SevenBitExtreme {
                for shape in Self.shapes {
                    for e in Epilogue.all {
                        check(type, shape, e, family)
                        cases += 1
                    }
                }
            }
            XCTAssertGreaterThan(cases, 400)
        }
    }

    func check(_ type: GemmType, _ s: Shape, _ e: Epilogue, _ family: KernelFamily) {
        var r = XorShift32(seed: UInt32(truncatingIfNeeded: s.m &* 7919 ^ s.n &* 104_729 ^ s.k &* 1_299_709))
        let a = (0..<(s.m * s.k)).map { _ in type.activation(&r) }
        let b = (0..<(s.n * s.k)).map { _ in type.weight(&r) }
        let aScale = (0..<s.m).map { _ in r.float(1e-4, 0.1) }
        let aZp = (0..<s.m).map { _ in Int32(type.signed ? r.int(-20, 20) : r.int(0, 127)) }
        let wScale = (0..<s.n).map { _ in r.float(1e-4, 0.05) }
        var bias = (0..<s.n).map { _ in r.float(-2, 2) }
        bias[0] = -0.0
        let rowSums = (0..<s.n).map { j in Int32(b[(j * s.k)..<((j + 1) * s.k)].reduce(0) { $0 + Int($1) }) }

        // Reference: C = A·Bᵀ, then requant over the columns [n0, n1) of rows [m0, m1).
        let c = refGemm(a, signed: type.signed, b, m: s.m, n: s.n, k: s.k)
        func want(cols: Range<Int>, sentinel: Float) -> [Float] {
            var out = [Float](repeating: sentinel, count: s.m * s.n)
            guard !cols.isEmpty else { return out }
            c.withUnsafeBufferPointer { cp in
                out.withUnsafeMutableBufferPointer { op in
                    for m in 0..<s.m {
                        let ea = e.aPerRow ? m : 0
                        aScale.withUnsafeBufferPointer { asp in aZp.withUnsafeBufferPointer { zpp in
                        wScale.withUnsafeBufferPointer { wsp in bias.withUnsafeBufferPointer { bp in
                        rowSums.withUnsafeBufferPointer { rsp in
                            let lo = cols.lowerBound
                            qb_requant_f32_ref(1, Int32(cols.count), cp.baseAddress! + m * s.n + lo, Int32(s.n),
                                               asp.baseAddress! + ea, e.zp ? zpp.baseAddress! + ea : nil, 0,
                                               wsp.baseAddress! + (e.wPerChannel ? lo : 0), rsp.baseAddress! + lo,
                                               e.wPerChannel ? 1 : 0, e.bias ? bp.baseAddress! + lo : nil,
                                               op.baseAddress! + m * s.n + lo, Int32(s.n))
                        }}}}}
                    }
                }
            }
            return out
        }
        // Fused kernel on rows [m0, m1) and columns cols.
        func fused(_ p: OpaquePointer, rows: Range<Int>, cols: Range<Int>, into out: inout [Float]) {
            guard !rows.isEmpty else { return }
            aScale.withUnsafeBufferPointer { asp in aZp.withUnsafeBufferPointer { zpp in
            wScale.withUnsafeBufferPointer { wsp in bias.withUnsafeBufferPointer { bp in
            a.withUnsafeBufferPointer { ap in out.withUnsafeMutableBufferPointer { op in
                let first = e.aPerRow ? rows.lowerBound : 0
                var rq = qb_requant_args(a_scale: asp.baseAddress! + first, a_zp: e.zp ? zpp.baseAddress! + first : nil,
                                         a_per_row: e.aPerRow ? 1 : 0, w_scale: wsp.baseAddress!,
                                         w_per_channel: e.wPerChannel ? 1 : 0, bias: e.bias ? bp.baseAddress! : nil)
                let aRow = ap.baseAddress! + rows.lowerBound * s.k, oRow = op.baseAddress! + rows.lowerBound * s.n
                if type.signed {
                    aRow.withMemoryRebound(to: Int8.self, capacity: rows.count * max(s.k, 1)) { sp in
                        qb_qgemm_s8s8_packed_f32(Int32(rows.count), sp, Int32(s.k), p, Int32(cols.lowerBound),
                                                 Int32(cols.upperBound), &rq, oRow, Int32(s.n))
                    }
                } else {
                    qb_qgemm_u8s8_packed_f32(Int32(rows.count), aRow, Int32(s.k), p, Int32(cols.lowerBound),
                                             Int32(cols.upperBound), &rq, oRow, Int32(s.n))
                }
            }}}}}}
        }

        let p = pack(b, n: s.n, k: s.k)
        defer { qb_packed_free(p) }
        let label = "\(family.rawValue) \(type.rawValue) \(s) \(e)"
        var got = [Float](repeating: .nan, count: s.m * s.n)
        fused(p, rows: 0..<s.m, cols: 0..<s.n, into: &got)
        let full = want(cols: 0..<s.n, sentinel: .nan)
        if bits(got) != bits(full) {
            let i = got.indices.first { got[$0].bitPattern != full[$0].bitPattern }!
            XCTFail("\(label): out[\(i / s.n), \(i % s.n)] = \(got[i]), ref \(full[i])")
            return
        }
        guard s.n > 2 else { return }
        let cols = (s.n / 3)..<(s.n - 1), split = s.m / 2
        var part = [Float](repeating: 12345, count: s.m * s.n)
        fused(p, rows: 0..<split, cols: cols, into: &part)
        fused(p, rows: split..<s.m, cols: cols, into: &part)
        let expect = want(cols: cols, sentinel: 12345)
        if bits(part) != bits(expect) {
            let i = part.indices.first { part[$0].bitPattern != expect[$0].bitPattern }!
            XCTFail("\(label) cols \(cols): out[\(i / s.n), \(i % s.n)] = \(part[i]), want \(expect[i])")
        }
    }

    func testFusedParityRef() throws { try runTable(.ref) }
    func testFusedParityAVX2() throws { try runTable(.avx2) }
    func testFusedParityAVX512VNNI() throws { try runTable(.avx512vnni) }
    func testFusedParityAMX() throws { try runTable(.amx) }
    func testFusedParityAMXEmulated() throws { try runTable(.amxEmulated) }
    func testFusedParityAVX512VNNIEmulated() throws { try runTable(.avx512vnniEmulated) }
}
