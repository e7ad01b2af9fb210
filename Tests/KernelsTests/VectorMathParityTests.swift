import _CKernels
import XCTest

/// AVX2 GELU and softmax against their libm references (float approximations: bounded, not bit-exact); AVX2
/// LayerNorm (+ residual) against its scalar reference (double sums in another order: equal up to a float ulp);
/// and the dispatched entry points, which follow the one kernel-family table of qb_dispatch.c.
final class VectorMathParityTests: XCTestCase {
    /// With each family forced (`qb_qgemm_force_kernel`), the un-suffixed GELU, masked softmax and LayerNorm run
    /// that family's kernels: bit-identical to calling `_ref` (family "ref"), `_avx2` ("avx2") or `_avx512` (GELU
    /// and softmax of "avx512vnni" and "amx", whose LayerNorm is `_avx2`) directly. Forcing the reference thus
    /// reaches the vector math as it reaches the GEMMs.
    func testForcedFamilySelectsItsVectorMathKernels() throws {
        var r = XorShift32(seed: 7)
        let width = 131, rows = 3   // not a multiple of 8: vector body and scalar tail
        let x: [Float] = (0..<(rows * width)).map { _ in r.float(-6, 6) }
        let res: [Float] = (0..<(rows * width)).map { _ in r.float(-2, 2) }
        let gamma: [Float] = (0..<width).map { _ in r.float(0.5, 1.5) }
        let beta: [Float] = (0..<width).map { _ in r.float(-0.2, 0.2) }
        var keep: [Float] = (0..<width).map { i in i % 5 == 3 ? 0 : 1 }
        keep[width - 1] = 1
        let ran = try forEachFamily { family in
            let suffix = family.vmathSuffix
            XCTAssertEqual(String(cString: qb_vmath_kernel_name()), suffix, "\(family)")
            var got = x, want = x
            qb_gelu_erf_f32(&got, got.count)
            switch suffix {
            case "ref": qb_gelu_erf_f32_ref(&want, want.count)
            case "avx512": qb_gelu_erf_f32_avx512(&want, want.count)
            case "avx512_emu": qb_gelu_erf_f32_avx512_emu(&want, want.count)
            default: qb_gelu_erf_f32_avx2(&want, want.count)
            }
            XCTAssertEqual(bits(got), bits(want), "GELU under \(family)")

            got = Array(x.prefix(width)); want = got
            qb_softmax_masked_f32(&got, width, 0.125, keep)
            switch suffix {
            case "ref": qb_softmax_masked_f32_ref(&want, width, 0.125, keep)
            case "avx512": qb_softmax_masked_f32_avx512(&want, width, 0.125, keep)
            case "avx512_emu": qb_softmax_masked_f32_avx512_emu(&want, width, 0.125, keep)
            default: qb_softmax_masked_f32_avx2(&want, width, 0.125, keep)
            }
            XCTAssertEqual(bits(got), bits(want), "masked softmax under \(family)")

            got = x; want = x
            qb_add_layernorm_f32(&got, res, rows, width, gamma, beta, 1e-12)
            if suffix == "ref" { qb_add_layernorm_f32_ref(&want, res, rows, width, gamma, beta, 1e-12) }
            else { qb_add_layernorm_f32_avx2(&want, res, rows, width, gamma, beta, 1e-12) }
            XCTAssertEqual(bits(got), bits(want), "LayerNorm under \(family)")
        }
        // Where AVX2 runs, the two kernels differ on these inputs, so the check above tells them apart.
        if ran > 1 {
            var a = x, b = x
            qb_gelu_erf_f32_ref(&a, a.count)
            qb_gelu_erf_f32_avx2(&b, b.count)
            XCTAssertNotEqual(bits(a), bits(b), "GELU _ref and _avx2 agree bit for bit: the test cannot tell them apart")
        }
    }

    func testGeluAVX2WithinOneMicroOfReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0 else { throw XCTSkip("CPU has no AVX2+FMA") }
        // Dense sweep of [-12, 12] plus awkward values; n not a multiple of 8 exercises the tail.
        var x: [Float] = stride(from: -12.0, through: 12.0, by: 0.00037).map { Float($0) }
        x += [0, -0.0, 1e-30, -1e-30, 88, -88, 1e6, -1e6]
        var ref = x, fast = x
        qb_gelu_erf_f32_ref(&ref, ref.count)
        qb_gelu_erf_f32_avx2(&fast, fast.count)
        var worst: Float = 0
        for i in x.indices {
            let err = abs(fast[i] - ref[i]) / max(1, abs(ref[i]))
            worst = max(worst, err)
        }
        XCTAssertLessThanOrEqual(worst, 1e-6, "worst GELU error vs erff reference")
    }

    /// The AVX-512 GELU and masked softmax give the AVX2 kernels' bits (what lets the avx512vnni and amx families
    /// write the avx2 family's logits in fast numerics): every length 0…80 (16-lane body, an 8-lane chunk, the libm
    /// tail), longer rows, awkward values, masks with gaps and a single kept position.
    func testGeluAndSoftmaxAVX512BitIdenticalToAVX2() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0, f.avx512f != 0 else { throw XCTSkip("CPU has no AVX-512F") }
        Self.checkBitIdenticalToAVX2(gelu: qb_gelu_erf_f32_avx512, softmax: qb_softmax_masked_f32_avx512)
    }

    /// The same checks for the same source on the emulated intrinsics of qb_avx512_emu.h (`_avx512_emu`), on every
    /// CPU that runs the AVX2 kernels it is compared with; elsewhere its family must be refused.
    func testGeluAndSoftmaxEmulatedAVX512BitIdenticalToAVX2() {
        guard cpuRunsAVX2Family else {
            XCTAssertEqual(qb_qgemm_force_kernel("avx512vnni_emu"), 0, "avx512vnni_emu needs the AVX2 kernels")
            return
        }
        Self.checkBitIdenticalToAVX2(gelu: qb_gelu_erf_f32_avx512_emu, softmax: qb_softmax_masked_f32_avx512_emu)
    }

    static func checkBitIdenticalToAVX2(gelu: (UnsafeMutablePointer<Float>?, Int) -> Void,
                                        softmax: (UnsafeMutablePointer<Float>?, Int, Float, UnsafePointer<Float>?) -> Void,
                                        file: StaticString = #filePath, line: UInt = #line) {
        var r = XorShift32(seed: 31)
        let specials: [Float] = [0, -0.0, 1e-30, -1e-30, 5, -5, 9.5, -9.5, 12, -12, 88, -88, 100, -100, 1e6, -1e6,
                                 .infinity, -.infinity, .leastNonzeroMagnitude, -.greatestFiniteMagnitude]
        for n in Array(0...80) + [127, 128, 129, 768, 3072, 4099] {
            var x: [Float] = (0..<n).map { _ in r.float(-8, 8) }
            for (i, s) in specials.enumerated() where 3 * i < n { x[3 * i] = s }
            var a = x, b = x
            qb_gelu_erf_f32_avx2(&a, n)
            gelu(&b, n)
            XCTAssertEqual(bits(a), bits(b), "GELU n=\(n)", file: file, line: line)
            guard n > 0 else { continue }
            let scores: [Float] = (0..<n).map { _ in r.float(-40, 40) }
            for pattern in 0..<3 {
                var keep: [Float] = (0..<n).map { j in
                    pattern == 0 ? 1 : pattern == 1 ? (j % 3 == 1 ? 0 : 1) : (j == n - 1 ? 1 : 0)
                }
                keep[n - 1] = 1
                // 1/√32 (MiniLM's heads): not a power of two, so a fused x·scale − m rounds differently from a
                // separate multiply and subtract (the scalar tails must compile to the same operations).
                for scale in [Float(0.125), 1 / Float(32).squareRoot(), 0.1] {
                    var p = scores, q = scores
                    qb_softmax_masked_f32_avx2(&p, n, scale, keep)
                    softmax(&q, n, scale, keep)
                    XCTAssertEqual(bits(p), bits(q), "softmax n=\(n) mask \(pattern) scale \(scale)", file: file, line: line)
                }
            }
        }
    }

    func testMaskedSoftmaxAVX2MatchesReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0 else { throw XCTSkip("CPU has no AVX2+FMA") }
        var g = SystemRandomNumberGenerator()
        for n in [1, 7, 8, 9, 52, 128, 131] {
            let x: [Float] = (0..<n).map { _ in Float.random(in: -30...30, using: &g) }
            var keep: [Float] = (0..<n).map { _ in Bool.random(using: &g) ? 1 : 0 }
            keep[0] = 1
            var ref = x, fast = x
            qb_softmax_masked_f32_ref(&ref, n, 0.125, keep)
            qb_softmax_masked_f32_avx2(&fast, n, 0.125, keep)
            for j in 0..<n {
                XCTAssertEqual(fast[j], ref[j], accuracy: 2e-7 + 2e-6 * ref[j], "n=\(n) j=\(j)")
                if keep[j] == 0 { XCTAssertEqual(fast[j], 0) }
            }
            XCTAssertEqual(fast.reduce(0, +), 1, accuracy: 1e-5)
        }
    }

    func testAddLayerNormAVX2MatchesReference() throws {
        var f = qb_cpu_features()
        qb_cpu_detect(&f)
        guard f.avx2 != 0, f.fma != 0 else { throw XCTSkip("CPU has no AVX2+FMA") }
        var r = SystemRandomNumberGenerator()
        var identical = 0, total = 0
        for width in [1, 7, 8, 31, 384, 768, 1001] {
            let rows = 5
            let x: [Float] = (0..<(rows * width)).map { i in Float.random(in: -4...4, using: &r) + (i % width == 0 ? 50 : 0) }
            let res: [Float] = (0..<(rows * width)).map { _ in Float.random(in: -2...2, using: &r) }
            let gamma: [Float] = (0..<width).map { _ in Float.random(in: 0.5...1.5, using: &r) }
            let beta: [Float] = (0..<width).map { _ in Float.random(in: -0.2...0.2, using: &r) }
            for residual in [nil, res] {
                var ref = x, fast = x
                qb_add_layernorm_f32_ref(&ref, residual, rows, width, gamma, beta, 1e-12)
                qb_add_layernorm_f32_avx2(&fast, residual, rows, width, gamma, beta, 1e-12)
                for i in ref.indices {
                    XCTAssertEqual(fast[i], ref[i], accuracy: 2 * ref[i].ulp + 1e-6, "width=\(width) i=\(i)")
                    identical += fast[i].bitPattern == ref[i].bitPattern ? 1 : 0
                    total += 1
                }
                // The dispatched entry point, and the Add & Norm definition: LN(x + residual) = LN applied to x + residual.
                if let residual {
                    var sum = zip(x, residual).map { $0 + $1 }, fused = x
                    qb_add_layernorm_f32_ref(&sum, nil, rows, width, gamma, beta, 1e-12)
                    qb_add_layernorm_f32(&fused, residual, rows, width, gamma, beta, 1e-12)
                    for i in sum.indices { XCTAssertEqual(fused[i], sum[i], accuracy: 2 * sum[i].ulp + 1e-6) }
                }
            }
        }
        XCTAssertGreaterThan(Double(identical) / Double(total), 0.99, "the AVX2 LayerNorm should almost always be bit-identical")
    }
}
