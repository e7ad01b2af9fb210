import TensorCore
import _CKernels

/// bfloat16 linear layer (the `bf16` scheme; like PyTorch's CPU autocast to bfloat16 for `nn.Linear`, which keeps
/// FP32 accumulation): `W` [out, in] rounded to bfloat16 and packed once, each call's input `x` [rows, in] rounded to
/// bfloat16 inside the kernel, products accumulated in FP32, bias added in FP32, output FP32:
///
///     y[m, n] = chain_k fma(bf16(x[m, k]), bf16(W[n, k]), ·) + b[n]        (qb_bf16.h gives the exact order)
///
/// Unlike autocast the output is not rounded to bfloat16 and everything outside the linear layers stays FP32, so the
/// scheme isolates the bfloat16 rounding of the GEMM operands. One FMA chain per output in a fixed k order: the
/// result is the same at any thread count and for the default bf16 kernels (AVX512-BF16, its emulation, the
/// reference). The AMX-BF16 kernel, run only with QBENCH_KERNEL=amx (or the amx_emu family), has TDPBF16PS's
/// numerics instead (qb_gemm_bf16_packed_amx_ref), also independent of threads.
/// Rows are split over `Parallel.threads` workers.
public final class BFloat16Linear: LinearOp, @unchecked Sendable {
    public let inFeatures: Int
    public let outFeatures: Int
    /// FP32 bias [out], or nil.
    public let bias: [Float]?
    private let packed: OpaquePointer

    /// Rounds and packs `layer`'s weights once. `name` is the layer's HF name, used in errors.
    /// - Throws: `QuantizationError.inLayer` when the pack cannot be allocated.
    public init(_ layer: DenseLinear, name: String = "linear") throws {
        inFeatures = layer.inFeatures
        outFeatures = layer.outFeatures
        bias = layer.bias
        let w = layer.weight
        guard let p = w.data.withUnsafeBufferPointer({
            qb_pack_bf16($0.baseAddress, Int32(w.shape[0]), Int32(w.shape[1]), Int32(w.shape[1]))
        }) else {
            throw QuantizationError.inLayer(name, .invalidScheme(field: "weight", reason: "could not allocate the bfloat16 pack"))
        }
        packed = p
    }

    deinit { qb_packed_bf16_free(packed) }

    /// The bf16 kernel that runs this layer ("avx512bf16", "avx512bf16_emu", "amx", "amx_emu" or "ref").
    public var kernelName: String { String(cString: qb_packed_bf16_kernel_name(packed)) }

    /// 2 bytes per weight + 4 per FP32 bias value.
    public var parameterBytes: Int { 2 * inFeatures * outFeatures + 4 * (bias?.count ?? 0) }
    /// True: every output element is its own FMA chain over k (qb_bf16.h), whatever the rows around it.
    public var rowsAreIndependent: Bool { true }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        let k = inFeatures, n = outFeatures
        let run = { (range: Range<Int>) in
            let call = { (b: UnsafePointer<Float>?) in
                qb_gemm_bf16_packed(Int32(range.count), x + range.lowerBound * k, Int32(k), self.packed, 0, Int32(n), b,
                                    y + range.lowerBound * n, Int32(n))
            }
            if let bias = self.bias { bias.withUnsafeBufferPointer { call($0.baseAddress) } } else { call(nil) }
        }
        Parallel.forChunks(rows, minChunk: 4, run)
    }
}
