import TensorCore

/// FP16-weight linear layer (PyTorch `float16_dynamic_qconfig`, `quantized::linear_dynamic_fp16`).
///
/// Weights are rounded once to IEEE binary16 (round to nearest even, finite values saturated at ±65504 as
/// aten's `HandleWeightsSaturation`) with `qb_f32_to_f16`, widened back to FP32 and run through `cblas_sgemm`
/// (`DenseLinear`); activations and bias stay FP32. fbgemm's fp16 GEMM widens the same half values, so the
/// products match; only the FP32 summation order differs.
public struct Float16Linear: LinearOp {
    /// The FP32 layer holding the binary16-rounded weights.
    public let rounded: DenseLinear

    /// Rounds `layer`'s weights to binary16 once.
    public init(_ layer: DenseLinear) {
        rounded = DenseLinear(weight: WeightQuantizer.roundToFloat16(layer.weight), bias: layer.bias)
    }

    public var inFeatures: Int { rounded.inFeatures }
    public var outFeatures: Int { rounded.outFeatures }
    /// 2 bytes per weight + 4 per FP32 bias value.
    public var parameterBytes: Int { 2 * rounded.weight.count + 4 * (rounded.bias?.count ?? 0) }

    public func forward(_ x: UnsafePointer<Float>, rows: Int, into y: UnsafeMutablePointer<Float>) {
        rounded.forward(x, rows: rows, into: y)
    }
}
