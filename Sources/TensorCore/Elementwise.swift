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
    public static func addLayerNorm(_ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>?, rows: Int,
                                    width: Int, gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float) {
        let reproducible = Numerics.mode == .reproducible
        Parallel.forChunks(rows, minChunk: 16) { range in
            let xr = x + range.lowerBound * width, rr = residual.map { $0 + range.lowerBound * width }
            if reproducible { qb_add_layernorm_f32_det(xr, rr, range.count, width, gamma, beta, eps) }
            else { qb_add_layernorm_f32(xr, rr, range.count, width, gamma, beta, eps) }
        }
    }

    /// In-place exact GELU: `x · ½ · (1 + erf(x / √2))` (PyTorch `nn.GELU()`, HF `hidden_act: "gelu"`).
    public static func geluErf(_ x: UnsafeMutablePointer<Float>, count: Int) {
        let reproducible = Numerics.mode == .reproducible
        Parallel.forChunks(count, minChunk: 4096) { range in
            if reproducible { qb_gelu_erf_f32_det(x + range.lowerBound, range.count) }
            else { qb_gelu_erf_f32(x + range.lowerBound, range.count) }
        }
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
