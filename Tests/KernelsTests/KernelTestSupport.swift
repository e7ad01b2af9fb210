import XCTest
import _CKernels

/// Deterministic xorshift32 so every run sees the same inputs.
struct XorShift32 {
    var state: UInt32
    init(seed: UInt32) { state = seed == 0 ? 0x9E37_79B9 : seed }
    mutating func next() -> UInt32 {
        state ^= state << 13
        state ^= state >> 17
        state ^= state << 5
        return state
    }
    /// Uniform integer in lo...hi.
    mutating func int(_ lo: Int, _ hi: Int) -> Int { lo + Int(next() % UInt32(hi - lo + 1)) }
    mutating func float(_ lo: Float, _ hi: Float) -> Float { lo + (hi - lo) * Float(next() >> 8) / Float(1 << 24) }
}

/// Kernel families the dispatcher knows. Every parity test runs once per family. `amxEmulated` is the AMX kernel
/// source on the portable intrinsics of qb_amx_emu.h (supported everywhere); `avx512vnniEmulated` is the avx512vnni
/// family with every AVX-512 kernel source (VNNI GEMM, quantize and min/max, GELU and softmax, the FP32
/// micro-kernel) on the portable intrinsics of qb_avx512_emu.h and its AVX2 kernels native (supported wherever the
/// avx2 family is). So the logic of every AVX-512 and AMX kernel is tested on every x86 machine with AVX2.
enum KernelFamily: String, CaseIterable {
    case ref, avx2, avx512vnni, amx
    case amxEmulated = "amx_emu"
    case avx512vnniEmulated = "avx512vnni_emu"

    /// Suffix of the vector-math kernels the family runs (qb_vmath_kernel_name): "avx512" (GELU and softmax on
    /// AVX-512, bit-identical with the AVX2 kernels) for avx512vnni and amx, "avx512_emu" (the same source on
    /// emulated intrinsics) for avx512vnni_emu.
    var vmathSuffix: String {
        switch self {
        case .ref, .amxEmulated: return "ref"
        case .avx2: return "avx2"
        case .avx512vnni, .amx: return "avx512"
        case .avx512vnniEmulated: return "avx512_emu"
        }
    }
}

/// Whether this CPU runs the avx2 family (AVX2 + FMA + F16C): the native part the avx512vnni_emu family needs.
let cpuRunsAVX2Family: Bool = {
    var f = qb_cpu_features()
    qb_cpu_detect(&f)
    return f.avx2 != 0 && f.fma != 0 && f.f16c != 0
}()

/// The family the dispatcher picked before any test forced another one.
let defaultKernelName: String = String(cString: qb_qgemm_kernel_name())

/// Runs `body` with `family` forced, restoring the default afterwards; throws XCTSkip if this CPU lacks it.
func withKernel<T>(_ family: KernelFamily, _ body: () throws -> T) throws -> T {
    _ = defaultKernelName
    guard qb_qgemm_force_kernel(family.rawValue) == 1 else {
        throw XCTSkip("kernel family \(family.rawValue) is not supported by this CPU (qb_qgemm_force_kernel returned 0)")
    }
    defer { XCTAssertEqual(qb_qgemm_force_kernel(defaultKernelName), 1) }
    XCTAssertEqual(String(cString: qb_qgemm_kernel_name()), family.rawValue)
    return try body()
}

/// Runs `body` once per family this CPU supports, that family forced; returns how many ran (at least 1, asserted).
/// Native families this CPU lacks are left out silently here (the GEMM parity test reports them); the emulated
/// ones are not: amx_emu must run everywhere and avx512vnni_emu wherever avx2 does (asserted), so every AVX-512
/// and AMX kernel's logic is checked on any such machine.
@discardableResult
func forEachFamily(file: StaticString = #filePath, line: UInt = #line,
                   _ body: (KernelFamily) throws -> Void) throws -> Int {
    var ran: [KernelFamily] = []
    for family in KernelFamily.allCases {
        do {
            try withKernel(family) { try body(family) }
            ran.append(family)
        } catch is XCTSkip {
            continue
        }
    }
    XCTAssertGreaterThanOrEqual(ran.count, 1, file: file, line: line)
    XCTAssertTrue(ran.contains(.amxEmulated), "amx_emu did not run", file: file, line: line)
    XCTAssertEqual(ran.contains(.avx512vnniEmulated), cpuRunsAVX2Family,
                   "avx512vnni_emu must run exactly where the avx2 family does", file: file, line: line)
    return ran.count
}

/// Packs B [N, K] with the active family. The caller frees with qb_packed_free.
func pack(_ b: [Int8], n: Int, k: Int) -> OpaquePointer {
    let p = b.withUnsafeBufferPointer { qb_pack_s8($0.baseAddress, Int32(n), Int32(k), Int32(k)) }
    return p!
}

/// C = A · Bᵀ through the reference (unpacked) kernel.
func refGemm(_ a: [UInt8], signed: Bool, _ b: [Int8], m: Int, n: Int, k: Int) -> [Int32] {
    var c = [Int32](repeating: 0, count: m * n)
    a.withUnsafeBufferPointer { ap in
        b.withUnsafeBufferPointer { bp in
            c.withUnsafeMutableBufferPointer { cp in
                if signed {
                    ap.withMemoryRebound(to: Int8.self) { sp in
                        qb_qgemm_s8s8_ref(Int32(m), Int32(n), Int32(k), sp.baseAddress, Int32(k), bp.baseAddress, Int32(k), cp.baseAddress, Int32(n))
                    }
                } else {
                    qb_qgemm_u8s8_ref(Int32(m), Int32(n), Int32(k), ap.baseAddress, Int32(k), bp.baseAddress, Int32(k), cp.baseAddress, Int32(n))
                }
            }
        }
    }
    return c
}

/// C[m0..<m1, n0..<n1] = A · Bᵀ through the packed kernel; other entries of `c` are left alone.
func packedGemm(_ a: [UInt8], signed: Bool, _ p: OpaquePointer, m: Int, k: Int, rows: Range<Int>, cols: Range<Int>,
                into c: inout [Int32], ldc: Int) {
    guard !rows.isEmpty else { return }
    a.withUnsafeBufferPointer { ap in
        c.withUnsafeMutableBufferPointer { cp in
            let aRow = ap.baseAddress! + rows.lowerBound * k
            let cRow = cp.baseAddress! + rows.lowerBound * ldc
            if signed {
                aRow.withMemoryRebound(to: Int8.self, capacity: rows.count * max(k, 1)) { sp in
                    qb_qgemm_s8s8_packed(Int32(rows.count), sp, Int32(k), p, Int32(cols.lowerBound), Int32(cols.upperBound), cRow, Int32(ldc))
                }
            } else {
                qb_qgemm_u8s8_packed(Int32(rows.count), aRow, Int32(k), p, Int32(cols.lowerBound), Int32(cols.upperBound), cRow, Int32(ldc))
            }
        }
    }
}

/// Bit pattern comparison for floats (NaN payloads and signed zeros included).
func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }
