import TensorCore
import _CKernels

/// Quantizes weight (or embedding) tensors with a `QuantScheme`; the integer codes are used for packing and
/// for weight statistics.
///
/// Parameters come from `MinMaxObserver` over the weight (per tensor, per output row, or per group of input
/// columns) and `scheme.chooseParams`. Codes follow PyTorch's `quantize_per_tensor` / `quantize_per_channel` on
/// CPU (fbgemm `Quantize<T, LEGACY=false>` / aten `quantize_val`): `q = clamp(z + nearbyint(w · (1.0f / s)))`
/// — multiplication by the float reciprocal, not division. For Q8BERT the multiplier is `127 / max|W|`
/// (nlp-architect `quantize`: `input.mul(scale).round().clamp(-127, 127)`).
public enum WeightQuantizer {
    /// Integer codes and parameters of `w` under an integer `scheme`.
    ///
    /// - Parameter name: the layer or tensor name used in error messages.
    /// - Throws: `QuantizationError` if the scheme is invalid, is float16, or its granularity does not fit `w`
    ///   (per-channel/per-group need a rank-2 `[out, in]` tensor; the group size must divide `in`).
    public static func quantizeWeights(_ w: Tensor, scheme: QuantScheme, name: String = "weight") throws -> QuantizedTensor {
        try scheme.validate()
        guard scheme.format == .integer else {
            throw QuantizationError.invalidScheme(field: "format", reason: "\(scheme.format.rawValue) weights have no integer codes; use roundTrip(_:scheme:)")
        }
        let cols = try checkShape(w, granularity: scheme.granularity, name: name)
        var observer = MinMaxObserver(scheme: scheme, axis: MinMaxObserver.weightAxis(for: scheme.granularity))
        let rows = cols == 0 ? 0 : w.count / cols
        w.data.withUnsafeBufferPointer { observer.observe($0, rows: rows, cols: cols) }
        let params = observer.parameters()
        let g = scheme.granularity
        let values: QuantizedTensor.Values
        if scheme.qmin >= -128 && scheme.qmax <= 127 {
            var codes = [Int8](repeating: 0, count: w.count)
            w.data.withUnsafeBufferPointer { src in
                codes.withUnsafeMutableBufferPointer { dst in
                    for i in 0..<w.count {
                        dst[i] = Int8(params.quantize(src[i], at: QuantizedTensor.paramIndex(ofElement: i, columns: cols, granularity: g)))
                    }
                }
            }
            values = .int8(codes)
        } else {
            var codes = [Int32](repeating: 0, count: w.count)
            for i in 0..<w.count {
                codes[i] = params.quantize(w.data[i], at: QuantizedTensor.paramIndex(ofElement: i, columns: cols, granularity: g))
            }
            values = .int32(codes)
        }
        let q = QuantizedTensor(values: values, shape: w.shape, params: params, granularity: g, bits: scheme.bits)
        return q
    }

    /// `x̂ = (q − z) · s` for every element of `q`.
    public static func dequantize(_ q: QuantizedTensor) -> Tensor { q.dequantized() }

    /// Quantize then dequantize `w` — for any scheme, float16 included (binary16 round to nearest even,
    /// saturated at ±65504 like PyTorch's fp16 weight packing).
    public static func roundTrip(_ w: Tensor, scheme: QuantScheme, name: String = "weight") throws -> Tensor {
        if scheme.format == .float16 { return roundToFloat16(w) }
        if scheme.format == .bfloat16 { return roundToBFloat16(w) }
        return try quantizeWeights(w, scheme: scheme, name: name).dequantized()
    }

    /// `w` rounded to bfloat16 and back (`qb_f32_to_bf16` then `qb_bf16_to_f32`).
    public static func roundToBFloat16(_ w: Tensor) -> Tensor {
        guard w.count > 0 else { return w }
        var bits = [UInt16](repeating: 0, count: w.count)
        var out = [Float](repeating: 0, count: w.count)
        w.data.withUnsafeBufferPointer { src in bits.withUnsafeMutableBufferPointer { qb_f32_to_bf16(src.baseAddress!, w.count, $0.baseAddress!) } }
        bits.withUnsafeBufferPointer { h in out.withUnsafeMutableBufferPointer { qb_bf16_to_f32(h.baseAddress!, w.count, $0.baseAddress!) } }
        return Tensor(shape: w.shape, data: out)
    }

    /// `w` rounded to binary16 and back (`qb_f32_to_f16` then `qb_f16_to_f32`).
    public static func roundToFloat16(_ w: Tensor) -> Tensor {
        guard w.count > 0 else { return w }
        var half = [UInt16](repeating: 0, count: w.count)
        var out = [Float](repeating: 0, count: w.count)
        float16Bits(w.data, into: &half)
        half.withUnsafeBufferPointer { h in
            out.withUnsafeMutableBufferPointer { qb_f16_to_f32(h.baseAddress!, w.count, $0.baseAddress!) }
        }
        return Tensor(shape: w.shape, data: out)
    }

    /// bfloat16 bit patterns of `values` (qb_f32_to_bf16: round to nearest even, DAZ/FTZ), into `bits`.
    /// - Precondition: `bits.count == values.count`.
    public static func bfloat16Bits(_ values: [Float], into bits: inout [UInt16]) {
        precondition(bits.count == values.count)
        guard !values.isEmpty else { return }
        values.withUnsafeBufferPointer { src in
            bits.withUnsafeMutableBufferPointer { qb_f32_to_bf16(src.baseAddress!, values.count, $0.baseAddress!) }
        }
    }

    /// binary16 bit patterns of `values` (round to nearest even, saturating at ±65504), into `bits`.
    /// - Precondition: `bits.count == values.count`.
    public static func float16Bits(_ values: [Float], into bits: inout [UInt16]) {
        precondition(bits.count == values.count)
        guard !values.isEmpty else { return }
        values.withUnsafeBufferPointer { src in
            bits.withUnsafeMutableBufferPointer { qb_f32_to_f16(src.baseAddress!, values.count, $0.baseAddress!) }
        }
    }

    /// Checks that `granularity` fits `w`; returns the column count the parameters are laid out over.
    static func checkShape(_ w: Tensor, granularity: QuantScheme.Granularity, name: String) throws -> Int {
        switch granularity {
        case .perTensor:
            return w.shape.last ?? 1
        case .perChannel:
            guard w.rank == 2 else {
                throw QuantizationError.layerShape(layer: name, reason: "per-channel quantization needs a [out, in] weight, got shape \(w.shape)")
            }
            return w.shape[1]
        case let .perGroup(size):
            guard w.rank == 2 else {
                throw QuantizationError.layerShape(layer: name, reason: "per-group quantization needs a [out, in] weight, got shape \(w.shape)")
            }
            guard size > 0, w.shape[1] % size == 0 else {
                throw QuantizationError.layerShape(layer: name, reason: "group size \(size) does not divide the input width \(w.shape[1])")
            }
            return w.shape[1]
        case .perEmbeddingGroup:
            throw QuantizationError.layerShape(layer: name, reason: "per_embedding_group is an activation granularity; weights are per_tensor, per_channel or per_group")
        }
    }
}
