import Foundation
import _CKernels

/// Row-wise and element-wise FP32 kernels of the encoder. They match PyTorch's float32 CPU ops within float
/// rounding (LayerNorm accumulates in Double). Under `Numerics.mode == .reproducible` LayerNorm, GELU, tanh and
/// softmax run the `_det` kernels of qb_vmath.h (same bits on every CPU and thread split); `fast` runs the
/// per-ISA kernels (and libm's `tanhf` for tanh and tanh-GELU).
public enum Elementwise {
    /// In-place LayerNorm over the last dimension of `x` `[rows, width]`:
    /// `y = (x − mean) / sqrt(var + eps) · gamma + beta`, biased variance (PyTorch `nn.LayerNorm`).
    public static func layerNorm(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                                 gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
        addLayerNorm(x, residual: nil, rows: rows, width: width, gamma: gamma, beta: beta, eps: eps)
    }

    /// In place, `x = LayerNorm(x + residual)` over rows of `x` and `residual` `[rows, width]` (the encoder's
    /// post-attention and post-FFN "Add & Norm"; `residual` nil = plain LayerNorm). Mean and variance accumulate in
    /// Double; the normalisation is float, unfused (`qb_add_layernorm_f32`, AVX2 with a scalar reference).
    /// With `measuringRange`, also returns the `ValueRange` of the output, measured block by block (8 rows) right
    /// after each block is normalised, while it is in cache: the bits `ValueRange.measure` gives on the result.
    @discardableResult
    public static func addLayerNorm(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int,
                                    width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float,
                                    measuringRange: Bool = false) -> ValueRange? {
        let reproducible = Numerics.mode == .reproducible
        var ranges = WorkerRanges()
        ranges.withSlots { slot in
            Parallel.forWorkerChunks(rows, minChunk: 16) { worker, range in
                var measured = ValueRange.none
                for lo in stride(from: range.lowerBound, to: range.upperBound, by: blockRows) {
                    let n = min(blockRows, range.upperBound - lo)
                    let xr = x + lo * width, rr = residual.map { $0 + lo * width }
                    if reproducible { qb_add_layernorm_f32_det(xr, rr, n, width, gamma, beta, eps) }
                    else { qb_add_layernorm_f32(xr, rr, n, width, gamma, beta, eps) }
                    if measuringRange { measured = measured.merging(.of(xr, count: n * width)) }
                }
                slot[worker] = slot[worker].merging(measured)
            }
        }
        return measuringRange ? ranges.merged : nil
    }

    /// Rows per block of a measured LayerNorm (8 rows of BERT-base: 24 KB, in L1).
    static let blockRows = 8
    /// Values per block of a measured GELU (16 KB).
    static let blockValues = 4096

    /// In-place exact GELU: `x · ½ · (1 + erf(x / √2))` (PyTorch `nn.GELU()`, HF `hidden_act: "gelu"`). With
    /// `measuringRange`, also returns the `ValueRange` of the output, measured block by block as for `addLayerNorm`.
    @discardableResult
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int, measuringRange: Bool = false) -> ValueRange? {
        let reproducible = Numerics.mode == .reproducible
        var ranges = WorkerRanges()
        ranges.withSlots { slot in
            Parallel.forWorkerChunks(count, minChunk: 4096) { worker, range in
                var measured = ValueRange.none
                for lo in stride(from: range.lowerBound, to: range.upperBound, by: blockValues) {
                    let n = min(blockValues, range.upperBound - lo)
                    if reproducible { qb_gelu_erf_f32_det(x + lo, n) } else { qb_gelu_erf_f32(x + lo, n) }
                    if measuringRange { measured = measured.merging(.of(x + lo, count: n)) }
                }
                slot[worker] = slot[worker].merging(measured)
            }
        }
        return measuringRange ? ranges.merged : nil
    }

    /// In-place tanh-approximated GELU (`gelu_new`, `gelu_pytorch_tanh`):
    /// `½x(1 + tanh(√(2/π)(x + 0.044715x³)))`.
    public static func geluTanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if Numerics.mode == .reproducible { qb_gelu_tanh_f32_det(x, count); return }
        let c: Float = 0.7978845608028654
        for i in 0..<count {
            let v = x[i]
            x[i] = 0.5 * v * (1 + tanhf(c * (v + 0.044715 * v * v * v)))
        }
    }

    /// In-place ReLU.
    public static func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
        for i in 0..<count where x[i] < 0 { x[i] = 0 }
    }

    /// In-place tanh.
    public static func tanh(_ x: UnsafeMutablePointer<Float>, count: Int) {
        if Numerics.mode == .reproducible { qb_tanh_f32_det(x, count); return }
        for i in 0..<count { x[i] = tanhf(x[i]) }
    }

    /// `x[i] += y[i]` for `count` values.
    public static func add(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, count: Int) {
        for i in 0..<count { x[i] += y[i] }
    }

    /// In-place masked softmax of one row of attention scores `[width]` after scaling:
    /// `p_j = exp(s·x_j − m) / Σ exp(…)` over positions with `keep[j] != 0`, `p_j = 0` elsewhere
    /// (what HF's additive mask of `finfo(float32).min` yields). At least one position must be kept.
    public static func maskedSoftmax(_ x: UnsafeMutablePointer<Float>, width: Int, scale: Float,
                                     keep: UnsafePointer<Float>) {
        if Numerics.mode == .reproducible { qb_softmax_masked_f32_det(x, width, scale, keep) }
        else { qb_softmax_masked_f32(x, width, scale, keep) }
    }
}
