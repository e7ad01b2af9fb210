/// Choosing scale and zero point from an observed range, one function per `ScaleRule`.
///
/// Each matches its reference bit for bit (float vs double intermediates included):
/// - `torchObserver`: pytorch `torch/ao/quantization/observer.py`, `UniformQuantizationObserverBase._calculate_qparams`
/// - `fbgemm`: pytorch `aten/src/ATen/native/quantized/cpu/QuantUtils.h`, `quant_utils::ChooseQuantizationParams`
///   (what `qlinear_dynamic.cpp` calls, with `preserve_sparsity = false`; `reduce_range` is `qmin 0, qmax 127`)
/// - `maxAbs`: IntelLabs/nlp-architect `nlp_architect/nn/torch/quantization.py`, `get_scale`
extension QuantScheme {
    /// One set of parameters: dequantization scale, quantization multiplier, zero point.
    public struct ParamEntry: Hashable, Sendable {
        /// Dequantization step.
        public var scale: Float
        /// Quantization multiplier.
        public var inverseScale: Float
        /// Code of real 0.
        public var zeroPoint: Int32

        /// One parameter set.
        public init(scale: Float, inverseScale: Float, zeroPoint: Int32) {
            self.scale = scale
            self.inverseScale = inverseScale
            self.zeroPoint = zeroPoint
        }
    }

    /// torch.ao's epsilon floor on observer scales: `torch.finfo(torch.float32).eps` = 2⁻²³.
    public static let torchObserverEpsilon: Float = .ulpOfOne
    /// fbgemm / QuantUtils.h `SMALL_SCALE_THRESHOLD` (fp16's smallest normal, rounded).
    public static let fbgemmSmallScaleThreshold: Float = 6.1e-5

    /// Parameters for values observed in `[min, max]`, per `scaleRule`.
    ///
    /// An empty observation (`min > max`, e.g. +inf/−inf) gives scale 1, zero point 0 (torch's
    /// `check_min_max_valid` fallback).
    public func chooseParams(min: Float, max: Float) -> ParamEntry {
        guard min <= max else { return ParamEntry(scale: 1, inverseScale: 1, zeroPoint: 0) }
        switch scaleRule {
        case .torchObserver: return torchObserverParams(min: min, max: max)
        case .fbgemm: return QuantScheme.fbgemmChooseQuantizationParams(min: min, max: max, qmin: qmin, qmax: qmax)
        case .maxAbs: return maxAbsParams(min: min, max: max)
        }
    }

    /// Parameters for several ranges (per channel / group / row); `mins` and `maxs` have equal length.
    public func params(mins: [Float], maxs: [Float]) -> QuantParams {
        precondition(mins.count == maxs.count)
        var scales = [Float](), inverse = [Float](), zps = [Int32]()
        scales.reserveCapacity(mins.count)
        inverse.reserveCapacity(mins.count)
        zps.reserveCapacity(mins.count)
        for i in mins.indices {
            let e = chooseParams(min: mins[i], max: maxs[i])
            scales.append(e.scale)
            inverse.append(e.inverseScale)
            zps.append(e.zeroPoint)
        }
        return QuantParams(scales: scales, inverseScales: inverse, zeroPoints: zps, qmin: qmin, qmax: qmax)
    }

    /// torch.ao observer rule. Symmetric: `s = max(−min⁻, max⁺) / (Float(qmax − qmin) / 2)`, z = 0.
    /// Affine: `s = (max⁺ − min⁻) / Float(qmax − qmin)`, `z = clamp(qmin − round(min⁻ / s), qmin, qmax)`.
    /// Both floor `s` at float32 epsilon; all arithmetic in float32 (as the observer's float tensors).
    func torchObserverParams(min: Float, max: Float) -> ParamEntry {
        let minNeg = Swift.min(min, 0), maxPos = Swift.max(max, 0)
        if symmetric {
            let m = Swift.max(-minNeg, maxPos)
            let s = Swift.max(m / (Float(qmax - qmin) / 2), QuantScheme.torchObserverEpsilon)
            return ParamEntry(scale: s, inverseScale: 1 / s, zeroPoint: 0)
        }
        let s = Swift.max((maxPos - minNeg) / Float(qmax - qmin), QuantScheme.torchObserverEpsilon)
        var z = qmin - Int32((minNeg / s).rounded(.toNearestOrEven))
        z = Swift.min(Swift.max(z, qmin), qmax)
        return ParamEntry(scale: s, inverseScale: 1 / s, zeroPoint: z)
    }

    /// Q8BERT: `s⁻¹ = Float(qmax) / max|x|` (127 / threshold for 8 bits), `s = max|x| / Float(qmax)`, z = 0.
    /// nlp-architect divides by zero when `max|x| = 0`; we return `s = s⁻¹ = 1` (every value is 0 anyway).
    func maxAbsParams(min: Float, max: Float) -> ParamEntry {
        let t = Swift.max(Swift.abs(min), Swift.abs(max))
        guard t > 0, t.isFinite else { return ParamEntry(scale: 1, inverseScale: 1, zeroPoint: 0) }
        return ParamEntry(scale: t / Float(qmax), inverseScale: Float(qmax) / t, zeroPoint: 0)
    }

    /// `quant_utils::ChooseQuantizationParams(min, max, qmin, qmax, preserve_sparsity = false)`, line for line:
    /// range widened to contain 0; `scale = (double(max) − min) / (qmax − qmin)` in double; a scale that is 0 in
    /// float or whose float reciprocal is infinite becomes 0.1; scales below 6.1e-5 are raised to it (and the range
    /// stretched); zero point from whichever of min/max gives the smaller `|q| − |x / s|` (sic, aten's version),
    /// clamped to qmin…qmax, else `nearbyint`. The kernel then uses `float(scale)` and `1.0f / float(scale)`.
    public static func fbgemmChooseQuantizationParams(min minIn: Float, max maxIn: Float,
                                                      qmin: Int32, qmax: Int32) -> ParamEntry {
        var min = Swift.min(minIn, 0)
        var max = Swift.max(maxIn, 0)
        var scale = (Double(max) - Double(min)) / Double(qmax - qmin)
        if Float(scale) == 0 || (1 / Float(scale)).isInfinite {
            scale = 0.1
        }
        let threshold = fbgemmSmallScaleThreshold
        if scale < Double(threshold) {
            let orgScale = Float(scale)
            scale = Double(threshold)
            if min == 0 {
                max = threshold * Float(qmax - qmin)
            } else if max == 0 {
                min = -threshold * Float(qmax - qmin)
            } else {
                let amplifier = threshold / orgScale
                min *= amplifier
                max *= amplifier
            }
        }
        let zeroPointFromMin = Double(qmin) - Double(min) / scale
        let zeroPointFromMax = Double(qmax) - Double(max) / scale
        let zeroPointFromMinError = Double(Swift.abs(qmin)) - Swift.abs(Double(min) / scale)
        let zeroPointFromMaxError = Double(Swift.abs(qmax)) - Swift.abs(Double(max) / scale)
        let initial = zeroPointFromMinError < zeroPointFromMaxError ? zeroPointFromMin : zeroPointFromMax
        let nudged: Int32
        if initial < Double(qmin) {
            nudged = qmin
        } else if initial > Double(qmax) {
            nudged = qmax
        } else {
            nudged = Int32(initial.rounded(.toNearestOrEven))
        }
        let s = Float(scale)
        return ParamEntry(scale: s, inverseScale: 1 / s, zeroPoint: nudged)
    }
}
