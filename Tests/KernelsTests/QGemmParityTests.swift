import XCTest
import _CKernels

/// The one table-driven parity test for the integer GEMMs (STYLE.md point 7): for each kernel family × GEMM type ×
/// shape, the packed kernel must be bit-exact with `qb_qgemm_*_ref`, over the full output, a column sub-range
/// [n0, n1) and a row split (how callers thread). The reference itself is checked once against a Swift loop.
final class QGemmParityTests: XCTestCase {
    /// Activation/weight value ranges. `extreme` cases use constant values that maximise every product.
    enum GemmType: String, CaseIterable {
        case u8s8Full = "u8s8 A 0...255"
        case u8s8SevenBit = "u8s8 A 0...127 (reduce_range)"
        case s8s8Narrow = "s8s8 A -127...127 (Q8BERT)"
        case s8s8Full = "s8s8 A -128...127"
        case u8s8Extreme = "u8s8 A = 255, B = -128"
        case u8s8SevenBitExtreme = "u8s8 A = 127, B = -128 (vpmaddubsw at its limit)"
        case s8s8ExtremeNeg = "s8s8 A = -128, B = -128"
        case s8s8ExtremeMixed = "s8s8 A = 127, B = -128"

        var signed: Bool { ![.u8s8Full, .u8s8SevenBit, .u8s8Extreme, .u8s8SevenBitExtreme].contains(self) }
        var isExtreme: Bool { [.u8s8Extreme, .u8s8SevenBitExtreme, .s8s8ExtremeNeg, .s8s8ExtremeMixed].contains(self) }

        func activation(_ r: inout XorShift32) -> UInt8 {
            switch self {
            case .u8s8Full: return UInt8(r.int(0, 255))
            case .u8s8SevenBit: return UInt8(r.int(0, 127))
            case .s8s8Narrow: return UInt8(bitPattern: Int8(r.int(-127, 127)))
            case .s8s8Full: return UInt8(bitPattern: Int8(r.int(-128, 127)))
            case .u8s8Extreme: return 255
            case .u8s8SevenBitExtreme: return 127
            case .s8s8ExtremeNeg: return UInt8(bitPattern: -128)
            case .s8s8ExtremeMixed: return 127
            }
        }

        func weight(_ r: inout XorShift32) -> Int8 { isExtreme ? -128 : Int8(r.int(-128, 127)) }
    }

    struct Shape: CustomStringConvertible {
        let m, n, k: Int
        var description: String { "M=\(m) N=\(n) K=\(k)" }
    }

    /// Small odd sizes crossed, K values that are not multiples of 2/4/16/32/64, BERT-like shapes, long K.
    static let shapes: [Shape] = {
        var s: [Shape] = []
        let small = [1, 3, 17, 64, 127]
        for m in small { for n in small { for k in small { s.append(Shape(m: m, n: n, k: k)) } } }
        for k in [0, 2, 5, 31, 33, 63, 65, 255, 257, 511, 513, 1000] { s.append(Shape(m: 9, n: 37, k: k)) }
        s.append(Shape(m: 128, n: 768, k: 768))   // one BERT-base sequence, attention projection
        s.append(Shape(m: 70, n: 1536, k: 390))   // "384 × 1536"-ish, every dimension off the blocking grid
        s.append(Shape(m: 384, n: 200, k: 1536))
        // Around the AMX tile grid (16 rows, 16 columns, 64 bytes of K per tile; 2 × 2 tiles per block): M below,
        // at and past one tile and a tile pair, N at and off a panel, K with a short last tile (61 and 63 bytes still
        // fill 16 k-quads), plus long K with few rows (A staged in one zero-padded tile).
        for m in [15, 16, 33, 48] { for n in [16, 31, 33] { for k in [60, 61, 64, 125, 129] {
            s.append(Shape(m: m, n: n, k: k))
        } } }
        s.append(Shape(m: 5, n: 70, k: 3072))
        s.append(Shape(m: 47, n: 64, k: 63))
        return s
    }()

    /// Shapes for the constant-valued (maximal-product) cases: long K to expose any int16 saturation.
    static let extremeShapes: [Shape] = [
        Shape(m: 1, n: 1, k: 1), Shape(m: 3, n: 17, k: 129), Shape(m: 5, n: 24, k: 1023),
        Shape(m: 4, n: 9, k: 4096), Shape(m: 17, n: 33, k: 4095),
    ]

    func runTable(_ family: KernelFamily) throws {
        try withKernel(family) {
            var cases = 0
            for type in GemmType.allCases {
                for shape in type.isExtreme ? Self.extremeShapes : Self.shapes {
                    try check(type, shape, family)
                    cases += 1
                }
            }
            XCTAssertGreaterThan(cases, 500)
        }
    }

    func check(_ type: GemmType, _ s: Shape, _ family: KernelFamily) throws {
        var r = XorShift32(seed: UInt32(truncatingIfNeeded: s.m &* 73_856_093 ^ s.n &* 19_349_663 ^ s.k &* 83_492_791))
        let a = (0..<(s.m * s.k)).map { _ in type.activation(&r) }
        let b = (0..<(s.n * s.k)).map { _ in type.weight(&r) }
        let want = refGemm(a, signed: type.signed, b, m: s.m, n: s.n, k: s.k)
        let p = pack(b, n: s.n, k: s.k)
        defer { qb_packed_free(p) }
        XCTAssertEqual(String(cString: qb_packed_kernel_name(p)), family.rawValue)
        XCTAssertEqual(Int(qb_packed_n(p)), s.n)
        XCTAssertEqual(Int(qb_packed_k(p)), s.k)

        // Full output.
        var c = [Int32](repeating: 0x5A5A_5A5A, count: s.m * s.n)
        packedGemm(a, signed: type.signed, p, m: s.m, k: s.k, rows: 0..<s.m, cols: 0..<s.n, into: &c, ldc: s.n)
        if c != want {
            let i = c.indices.first { c[$0] != want[$0] }!
            XCTFail("\(family.rawValue) \(type.rawValue) \(s): C[\(i / s.n), \(i % s.n)] = \(c[i]), ref \(want[i])")
            return
        }
        // Column sub-range not aligned to any panel, rows split in two calls (as threads would).
        guard s.n > 2 else { return }
        let cols = (s.n / 3)..<(s.n - 1)
        let split = s.m / 2
        var d = [Int32](repeating: 0x5A5A_5A5A, count: s.m * s.n)
        packedGemm(a, signed: type.signed, p, m: s.m, k: s.k, rows: 0..<split, cols: cols, into: &d, ldc: s.n)
        packedGemm(a, signed: type.signed, p, m: s.m, k: s.k, rows: split..<s.m, cols: cols, into: &d, ldc: s.n)
        for m in 0..<s.m {
            for n in 0..<s.n {
                let expect = cols.contains(n) ? want[m * s.n + n] : 0x5A5A_5A5A
                if d[m * s.n + n] != expect {
                    XCTFail("\(family.rawValue) \(type.rawValue) \(s) cols \(cols): C[\(m), \(n)] = \(d[m * s.n + n]), want \(expect)")
                    return
                }
            }
        }
    }

    func testPackedParityRef() throws { try runTable(.ref) }
    func testPackedParityAVX2() throws { try runTable(.avx2) }
    func testPackedParityAVX512VNNI() throws { try runTable(.avx512vnni) }
    func testPackedParityAMX() throws { try runTable(.amx) }
    /// The AMX kernel on emulated intrinsics: runs on every machine, so this one never skips.
    func testPackedParityAMXEmulated() throws { try runTable(.amxEmulated) }
    /// The AVX512-VNNI kernel on emulated intrinsics: runs on every machine (AVX2-only ones included), never skips.
    func testPackedParityAVX512VNNIEmulated() throws { try runTable(.avx512vnniEmulated) }

    /// The reference against the definition, once: a plain Swift triple loop in Int64.
    func testReferenceMatchesNaiveLoop() {
        for signed in [false, true] {
            let (m, n, k) = (7, 11, 300)
            var r = XorShift32(seed: 7)
            let a = (0..<(m * k)).map { _ in UInt8(r.int(0, 255)) }
            let b = (0..<(n * k)).map { _ in Int8(r.int(-128, 127)) }
            let c = refGemm(a, signed: signed, b, m: m, n: n, k: k)
            for i in 0..<m {
                for j in 0..<n {
                    var acc: Int64 = 0
                    for kk in 0..<k {
                        let av = signed ? Int64(Int8(bitPattern: a[i * k + kk])) : Int64(a[i * k + kk])
                        acc += av * Int64(b[j * k + kk])
                    }
                    XCTAssertEqual(Int64(c[i * n + j]), acc, "signed=\(signed) (\(i), \(j))")
                }
            }
        }
    }

    /// Row sums are Σ_k B[n, k] whatever the layout.
    func testPackedRowSums() throws {
        for family in KernelFamily.allCases where qb_qgemm_force_kernel(family.rawValue) == 1 {
            defer { _ = qb_qgemm_force_kernel(defaultKernelName) }
            var r = XorShift32(seed: 11)
            let (n, k) = (19, 77)
            let b = (0..<(n * k)).map { _ in Int8(r.int(-128, 127)) }
            let p = pack(b, n: n, k: k)
            defer { qb_packed_free(p) }
            let sums = Array(UnsafeBufferPointer(start: qb_packed_row_sums(p), count: n))
            let want = (0..<n).map { j in Int32(b[(j * k)..<((j + 1) * k)].reduce(0) { $0 + Int($1) }) }
            XCTAssertEqual(sums, want, family.rawValue)
            XCTAssertGreaterThanOrEqual(qb_packed_bytes(p), n * k)
        }
    }

    /// Kernels are re-entrant: concurrent calls on disjoint column ranges of one pack give the serial result.
    func testConcurrentColumnSplit() {
        let (m, n, k) = (33, 200, 130)
        var r = XorShift32(seed: 5)
        let a = (0..<(m * k)).map { _ in UInt8(r.int(0, 255)) }
        let b = (0..<(n * k)).map { _ in Int8(r.int(-128, 127)) }
        let want = refGemm(a, signed: false, b, m: m, n: n, k: k)
        let p = pack(b, n: n, k: k)
        defer { qb_packed_free(p) }
        let chunks = 7
        var c = [Int32](repeating: 0, count: m * n)
        c.withUnsafeMutableBufferPointer { cp in
            let base = cp.baseAddress!
            a.withUnsafeBufferPointer { ap in
                DispatchQueue.concurrentPerform(iterations: chunks) { t in
                    let n0 = t * n / chunks, n1 = (t + 1) * n / chunks
                    qb_qgemm_u8s8_packed(Int32(m), ap.baseAddress, Int32(k), p, Int32(n0), Int32(n1), base, Int32(n))
                }
            }
        }
        XCTAssertEqual(c, want)
    }
}
