import XCTest
import _CKernels

/// `qb_qgemm_grouped_packed_f32` (per-embedding-group activations: one fused GEMM per column group on a pack of
/// that group's columns, FP32 sum in group order) against its scalar reference `qb_qgemm_grouped_f32_ref`,
/// bit-exact, for every kernel family × signedness × group split (even, uneven, an empty group, one group) ×
/// per-tensor / per-channel weights × zero points × bias, over the full output and over a column sub-range
/// computed as two row chunks.
final class GroupedGemmParityTests: XCTestCase {
    struct Case: CustomStringConvertible {
        let m, n: Int
        let cols: [Int]   // G + 1 boundaries
        var description: String { "M=\(m) N=\(n) cols=\(cols)" }
    }

    static let cases: [Case] = [
        Case(m: 1, n: 1, cols: [0, 1]),
        Case(m: 9, n: 37, cols: [0, 64, 128, 192]),
        Case(m: 17, n: 24, cols: [0, 5, 5, 40, 127]),       // uneven, one empty group
        Case(m: 33, n: 48, cols: [0, 256, 512, 768, 1024, 1280, 1536]),
        Case(m: 50, n: 33, cols: [0, 769, 1000]),           // a group past one VNNI K block
        Case(m: 6, n: 17, cols: [0, 3]),
    ]

    func check(_ c: Case, signed: Bool, perChannel: Bool, zp: Bool, bias: Bool, family: KernelFamily) {
        let g = c.cols.count - 1, k = c.cols.last!
        var r = XorShift32(seed: UInt32(truncatingIfNeeded: c.m &* 7919 ^ c.n &* 104_729 ^ k &* 31 ^ g))
        let a: [UInt8] = (0..<(c.m * k)).map { _ in signed ? UInt8(bitPattern: Int8(r.int(-128, 127))) : UInt8(r.int(0, 255)) }
        let b: [Int8] = (0..<(c.n * k)).map { _ in Int8(r.int(-128, 127)) }
        let gScale = (0..<g).map { _ in r.float(1e-4, 0.1) }
        let gZp = (0..<g).map { _ in Int32(signed ? r.int(-20, 20) : r.int(0, 255)) }
        let wScale = (0..<(perChannel ? c.n : 1)).map { _ in r.float(1e-4, 0.05) }
        var bs = (0..<c.n).map { _ in r.float(-2, 2) }
        bs[0] = -0.0
        let cols = c.cols.map(Int32.init)
        let label = "\(family.rawValue) \(c) signed=\(signed) ch=\(perChannel) zp=\(zp) bias=\(bias)"

        var want = [Float](repeating: .nan, count: c.m * c.n)
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in cols.withUnsafeBufferPointer { cp in
        gScale.withUnsafeBufferPointer { sp in gZp.withUnsafeBufferPointer { zp_ in wScale.withUnsafeBufferPointer { wp in
        bs.withUnsafeBufferPointer { biasp in want.withUnsafeMutableBufferPointer { op in
            qb_qgemm_grouped_f32_ref(Int32(c.m), Int32(c.n), ap.baseAddress, Int32(k), signed ? 1 : 0, bp.baseAddress, Int32(k),
                                     Int32(g), cp.baseAddress, sp.baseAddress, zp ? zp_.baseAddress : nil, wp.baseAddress,
                                     perChannel ? 1 : 0, bias ? biasp.baseAddress : nil, op.baseAddress, Int32(c.n))
        }}}}}}}}

        // One pack per group of B's columns.
        var packs: [OpaquePointer?] = []
        for i in 0..<g {
            let lo = c.cols[i], w = c.cols[i + 1] - lo
            var slice = [Int8](repeating: 0, count: c.n * w)
            for row in 0..<c.n { for j in 0..<w { slice[row * w + j] = b[row * k + lo + j] } }
            packs.append(pack(slice, n: c.n, k: w))
        }
        defer { for p in packs { qb_packed_free(p) } }
        func run(rows: Range<Int>, n0: Int, n1: Int, into out: inout [Float]) {
            a.withUnsafeBufferPointer { ap in cols.withUnsafeBufferPointer { cp in packs.withUnsafeBufferPointer { pp in
            gScale.withUnsafeBufferPointer { sp in gZp.withUnsafeBufferPointer { zp_ in wScale.withUnsafeBufferPointer { wp in
            bs.withUnsafeBufferPointer { biasp in out.withUnsafeMutableBufferPointer { op in
                qb_qgemm_grouped_packed_f32(Int32(rows.count), ap.baseAddress! + rows.lowerBound * k, Int32(k), signed ? 1 : 0,
                                            Int32(g), cp.baseAddress, pp.baseAddress, sp.baseAddress, zp ? zp_.baseAddress : nil,
                                            wp.baseAddress, perChannel ? 1 : 0, bias ? biasp.baseAddress : nil, Int32(n0), Int32(n1),
                                            op.baseAddress! + rows.lowerBound * c.n, Int32(c.n))
            }}}}}}}}
        }
        var got = [Float](repeating: .nan, count: c.m * c.n)
        run(rows: 0..<c.m, n0: 0, n1: c.n, into: &got)
        if let i = got.indices.first(where: { got[$0].bitPattern != want[$0].bitPattern }) {
            XCTFail("\(label): out[\(i / c.n), \(i % c.n)] = \(got[i]), ref \(want[i])")
            return
        }
        guard c.n > 2 else { return }
        let n0 = c.n / 3, n1 = c.n - 1, split = c.m / 2
        var part = [Float](repeating: 12345, count: c.m * c.n)
        run(rows: 0..<split, n0: n0, n1: n1, into: &part)
        run(rows: split..<c.m, n0: n0, n1: n1, into: &part)
        for i in part.indices {
            let expect = (n0..<n1).contains(i % c.n) ? want[i] : 12345
            if part[i].bitPattern != expect.bitPattern {
                XCTFail("\(label) cols \(n0)..<\(n1): out[\(i / c.n), \(i % c.n)] = \(part[i]), want \(expect)")
                return
            }
        }
    }

    func runTable(_ family: KernelFamily) throws {
        try withKernel(family) {
            var n = 0
            for c in Self.cases {
                for signed in [false, true] { for ch in [false, true] { for zp in [false, true] { for bias in [false, true] {
                    check(c, signed: signed, perChannel: ch, zp: zp, bias: bias, family: family)
                    n += 1
                } } } }
            }
            XCTAssertEqual(n, Self.cases.count * 16)
        }
    }

    /// The reference itself against a plain Swift evaluation of the formula (Int64 sums, then the same float steps).
    func testReferenceFormula() {
        let c = Self.cases[2], g = c.cols.count - 1, k = c.cols.last!
        var r = XorShift32(seed: 99)
        let a: [UInt8] = (0..<(c.m * k)).map { _ in UInt8(r.int(0, 255)) }
        let b: [Int8] = (0..<(c.n * k)).map { _ in Int8(r.int(-128, 127)) }
        let gs = (0..<g).map { _ in r.float(1e-3, 0.1) }, gz = (0..<g).map { _ in Int32(r.int(0, 255)) }
        let ws = (0..<c.n).map { _ in r.float(1e-3, 0.05) }, bias = (0..<c.n).map { _ in r.float(-1, 1) }
        var got = [Float](repeating: 0, count: c.m * c.n)
        let cols = c.cols.map(Int32.init)
        qb_qgemm_grouped_f32_ref(Int32(c.m), Int32(c.n), a, Int32(k), 0, b, Int32(k), Int32(g), cols, gs, gz, ws, 1, bias,
                                 &got, Int32(c.n))
        for m in 0..<c.m {
            for n in 0..<c.n {
                var y: Float = 0
                for i in 0..<g {
                    var acc: Int64 = 0, rs: Int64 = 0
                    for kk in c.cols[i]..<c.cols[i + 1] {
                        acc += Int64(a[m * k + kk]) * Int64(b[n * k + kk])
                        rs += Int64(b[n * k + kk])
                    }
                    let v = Float(Int32(acc - Int64(gz[i]) * rs)) * (gs[i] * ws[n])
                    y = i == 0 ? v : y + v
                }
                y = y + bias[n]
                XCTAssertEqual(got[m * c.n + n].bitPattern, y.bitPattern, "out[\(m), \(n)]")
            }
        }
    }

    func testGroupedParityRef() throws { try runTable(.ref) }
    func testGroupedParityAVX2() throws { try runTable(.avx2) }
    func testGroupedParityAVX512VNNI() throws { try runTable(.avx512vnni) }
    func testGroupedParityAMX() throws { try runTable(.amx) }
    func testGroupedParityAMXEmulated() throws { try runTable(.amxEmulated) }
    func testGroupedParityAVX512VNNIEmulated() throws { try runTable(.avx512vnniEmulated) }
}
