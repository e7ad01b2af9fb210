import _CKernels

/// What the running CPU supports, read once from CPUID (see `_CKernels/qb_cpu.c`).
public struct CPUInfo: Sendable, Equatable {
    /// CPUID brand string, e.g. "Intel(R) Xeon(R) Platinum 8480+".
    public var brand: String
    /// Feature names present, in a fixed order: sse4.2 avx avx2 fma f16c avx512f avx512bw avx512vl avx512dq
    /// avx512_vnni avx512_bf16 avx_vnni amx_tile amx_int8 amx_bf16 (the AMX ones only with the OS saving tile state).
    public var features: [String]

    public var hasAVX2: Bool { features.contains("avx2") && features.contains("fma") }
    /// The AVX-512 subset OpenBLAS's SkylakeX kernels need.
    public var hasAVX512: Bool { ["avx512f", "avx512bw", "avx512vl", "avx512dq"].allSatisfy(features.contains) }
    public var hasAVX512VNNI: Bool { hasAVX512 && features.contains("avx512_vnni") }
    /// AMX-TILE and AMX-INT8 (the int8 GEMM's "amx" family also needs the OS permission: KernelDispatch).
    public var hasAMXInt8: Bool { features.contains("amx_tile") && features.contains("amx_int8") }

    public init(brand: String, features: [String]) {
        self.brand = brand
        self.features = features
    }

    /// The CPU this process runs on.
    public static let current: CPUInfo = {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        var buf = [CChar](repeating: 0, count: 64)
        qb_cpu_brand(&buf, Int32(buf.count))
        let brand = String(decoding: buf.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .trimmingCharacters(in: " ")
        let table: [(String, Int32)] = [
            ("sse4.2", f.sse42), ("avx", f.avx), ("avx2", f.avx2), ("fma", f.fma), ("f16c", f.f16c),
            ("avx512f", f.avx512f), ("avx512bw", f.avx512bw), ("avx512vl", f.avx512vl),
            ("avx512dq", f.avx512dq), ("avx512_vnni", f.avx512_vnni), ("avx512_bf16", f.avx512_bf16), ("avx_vnni", f.avx_vnni),
            ("amx_tile", f.amx_tile), ("amx_int8", f.amx_int8), ("amx_bf16", f.amx_bf16),
        ]
        return CPUInfo(brand: brand, features: table.filter { $0.1 != 0 }.map { $0.0 })
    }()
}

extension String {
    fileprivate func trimmingCharacters(in c: Character) -> String {
        var s = Substring(self)
        while s.first == c { s = s.dropFirst() }
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
