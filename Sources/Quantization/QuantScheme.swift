/// How one tensor (a layer's weight, or its input activations) is quantized — a value, not a class hierarchy
/// (STYLE.md §1).
///
/// Integer schemes map a float `x` to an integer `q` and back:
///
///     q = clamp(nearbyint(x · s⁻¹) + z, qmin, qmax)       x̂ = (q − z) · s
///
/// with scale `s`, its reciprocal `s⁻¹` (the multiplier actually used, as fbgemm and Q8BERT do) and zero point `z`
/// chosen from an observed range by `scaleRule`. `qmin`/`qmax` are stored explicitly: PyTorch's `reduce_range`
/// is simply `qmin 0, qmax 127` on an 8-bit unsigned scheme. The `.float16` format rounds to IEEE binary16
/// instead (weights only); `.bfloat16` rounds weights and activations to bfloat16 (qb_bf16.h).
///
/// Written to YAML experiment files and HDF5 attributes as JSON with snake_case keys
/// (see `QuantScheme+Codable.swift`).
public struct QuantScheme: Hashable, Sendable {
    /// Integer quantization, or rounding to binary16 or bfloat16.
    public enum Format: String, Hashable, Sendable, CaseIterable {
        case integer
        case float16
        /// bfloat16 (round to nearest even, subnormals flushed to ±0), the `bf16` scheme's weights and activations.
        case bfloat16
    }

    /// True for the 16-bit float formats (no integer codes, no range).
    public var isFloat: Bool { format == .float16 || format == .bfloat16 }

    /// Which values share one scale / zero point. Weights are `[out, in]` (PyTorch `nn.Linear` layout).
    public enum Granularity: Hashable, Sendable {
        /// One scale for the whole tensor.
        case perTensor
        /// One scale per slice along `axis`; only axis 0 (one per output row of a weight) is supported.
        case perChannel(axis: Int)
        /// One scale per run of `size` consecutive input columns within each output row.
        case perGroup(size: Int)
        /// Activations only: per-embedding-group (PEG, Bondarenko et al. 2021, "Understanding and Overcoming the
        /// Challenges of Efficient Transformer Quantization", §4): the input's K hidden dimensions in `groups`
        /// groups of K / `groups` each, one calibrated range per group. With `permute`, the dimensions are first
        /// sorted by their calibrated range `max_j − min_j` (ascending, stable), so the outlier dimensions share
        /// the last group; the weight's input columns are permuted the same way (`EmbeddingGroups`).
        case perEmbeddingGroup(groups: Int, permute: Bool)

        /// True for `.perEmbeddingGroup`.
        public var isEmbeddingGroup: Bool {
            if case .perEmbeddingGroup = self { return true }
            return false
        }
    }

    /// Where the range of an activation comes from. Weights always use `.staticMinMax` (their own min/max).
    public enum RangeSource: Hashable, Sendable {
        /// Min/max of the whole input of each call (all rows, padding included) — PyTorch dynamic quantization.
        case dynamicPerTensor
        /// Min/max of each row (token) of each call.
        case dynamicPerRow
        /// Running min/max over a calibration pass.
        case staticMinMax
        /// Exponential moving average over a calibration pass: `ema ← ema − (1 − decay)·(ema − current)`,
        /// starting at the first value (nlp-architect `QuantizedLinear._update_ema`).
        case staticEMA(decay: Double)
        /// The `p`-th percentile (0 < p ≤ 100, e.g. 99.99) of the calibration values (histogram of 2048 bins).
        case staticPercentile(p: Double)

        /// True for ranges measured on every call.
        public var isDynamic: Bool {
            switch self {
            case .dynamicPerTensor, .dynamicPerRow: return true
            default: return false
            }
        }
    }

    /// How `x · s⁻¹` is rounded to an integer.
    public enum Rounding: String, Hashable, Sendable, CaseIterable {
        /// Round half to even (`nearbyint` in the default FP mode; fbgemm, `torch.round`).
        case nearestEven = "nearest_even"
    }

    /// How scale and zero point are derived from an observed range `[min, max]`. See `QuantScheme+Params.swift`.
    public enum ScaleRule: String, Hashable, Sendable, CaseIterable {
        /// torch.ao `UniformQuantizationObserverBase._calculate_qparams`: symmetric
        /// `s = max(|min|, |max|) / ((qmax − qmin) / 2)`, affine `s = (max − min) / (qmax − qmin)`,
        /// `z = qmin − round(min / s)`; `s` floored at float32 epsilon. PyTorch weights.
        case torchObserver = "torch_observer"
        /// `quant_utils::ChooseQuantizationParams` (aten QuantUtils.h, = fbgemm's): affine, range widened to
        /// include 0, scale computed in double, 6.1e-5 minimum, nudged zero point. PyTorch dynamic activations.
        case fbgemm
        /// Q8BERT (nlp-architect `get_scale`): multiplier `s⁻¹ = qmax / max|x|`, `s = max|x| / qmax`, z = 0.
        case maxAbs = "max_abs"
    }

    /// Integer or binary16.
    public var format: Format
    /// Integer width, 2…16 (16 for `.float16` and `.bfloat16`). Weights are 2…8 bits (`LayerScheme.validate`);
    /// 9…16-bit activations and outputs run as fake quantization (`LayerScheme.implementation`).
    public var bits: Int
    /// Signed (`int8`-like) or unsigned (`uint8`-like) integers.
    public var signed: Bool
    /// Symmetric (zero point 0) or affine (zero point chosen from the range).
    public var symmetric: Bool
    /// Whether the most negative code was dropped when `qmin`/`qmax` were derived (−127…127).
    public var narrowRange: Bool
    /// Which values share a scale.
    public var granularity: Granularity
    /// Smallest integer code; values are clamped to `qmin…qmax` and the scale is chosen for this range.
    public var qmin: Int32
    /// Largest integer code.
    public var qmax: Int32
    /// Rounding of `x · s⁻¹`.
    public var rounding: Rounding
    /// Where activation ranges come from (weights: `.staticMinMax`).
    public var range: RangeSource
    /// How scale and zero point follow from a range.
    public var scaleRule: ScaleRule

    /// Memberwise initializer; prefer `integer(…)`, which derives `qmin`/`qmax`, or `.float16`.
    public init(format: Format, bits: Int, signed: Bool, symmetric: Bool, narrowRange: Bool,
                granularity: Granularity, qmin: Int32, qmax: Int32, rounding: Rounding = .nearestEven,
                range: RangeSource, scaleRule: ScaleRule) {
        self.format = format
        self.bits = bits
        self.signed = signed
        self.symmetric = symmetric
        self.narrowRange = narrowRange
        self.granularity = granularity
        self.qmin = qmin
        self.qmax = qmax
        self.rounding = rounding
        self.range = range
        self.scaleRule = scaleRule
    }

    /// An integer scheme whose `qmin`/`qmax` are derived from `bits`, `signed` and `narrowRange`
    /// (`integerRange`). Override them afterwards with `withRange(qmin:qmax:)` (e.g. PyTorch's reduce_range).
    public static func integer(bits: Int, signed: Bool, symmetric: Bool, narrowRange: Bool = false,
                               granularity: Granularity = .perTensor, range: RangeSource = .staticMinMax,
                               scaleRule: ScaleRule = .torchObserver) -> QuantScheme {
        let r = integerRange(bits: bits, signed: signed, narrowRange: narrowRange)
        return QuantScheme(format: .integer, bits: bits, signed: signed, symmetric: symmetric,
                           narrowRange: narrowRange, granularity: granularity, qmin: r.qmin, qmax: r.qmax,
                           range: range, scaleRule: scaleRule)
    }

    /// IEEE binary16 weights (round to nearest even, finite values saturated to ±65504), as PyTorch's
    /// `float16_dynamic_qconfig`.
    public static let float16 = QuantScheme(format: .float16, bits: 16, signed: true, symmetric: true,
                                            narrowRange: false, granularity: .perTensor, qmin: 0, qmax: 0,
                                            range: .staticMinMax, scaleRule: .torchObserver)

    /// The full code range of a `bits`-wide integer: signed −2^(b−1)…2^(b−1)−1, unsigned 0…2^b−1;
    /// `narrowRange` drops the lowest code (signed −127…127, unsigned 1…255, as TensorFlow's `narrow_range`).
    public static func integerRange(bits: Int, signed: Bool, narrowRange: Bool) -> (qmin: Int32, qmax: Int32) {
        let b = Int32(Swift.max(1, Swift.min(bits, 31)))
        var lo: Int32 = signed ? -(1 << (b - 1)) : 0
        let hi: Int32 = signed ? (1 << (b - 1)) - 1 : Int32((Int64(1) << Int64(b)) - 1)
        if narrowRange { lo += 1 }
        return (lo, hi)
    }

    /// The same scheme with an explicit code range (e.g. `qmin 0, qmax 127` for PyTorch's reduce_range).
    public func withRange(qmin: Int32, qmax: Int32) -> QuantScheme {
        var s = self
        s.qmin = qmin
        s.qmax = qmax
        return s
    }

    /// The same scheme with another range source.
    public func withRange(_ range: RangeSource) -> QuantScheme {
        var s = self
        s.range = range
        return s
    }

    /// The same scheme with another granularity.
    public func withGranularity(_ granularity: Granularity) -> QuantScheme {
        var s = self
        s.granularity = granularity
        return s
    }

    /// bfloat16 weights or activations (qb_bf16.h: round to nearest even, DAZ/FTZ), FP32 accumulation.
    public static let bfloat16 = QuantScheme(format: .bfloat16, bits: 16, signed: true, symmetric: true,
                                             narrowRange: false, granularity: .perTensor, qmin: 0, qmax: 0,
                                             range: .staticMinMax, scaleRule: .torchObserver)

    /// Checks the fields against each other; errors name the JSON field (`bits`, `qmin`, `granularity.size`…).
    public func validate() throws {
        if isFloat {
            guard bits == 16 else {
                throw QuantizationError.invalidScheme(field: "bits", reason: "\(format.rawValue) has 16 bits, got \(bits)")
            }
            return
        }
        guard (2...16).contains(bits) else {
            throw QuantizationError.invalidScheme(field: "bits", reason: "must be 2…16, got \(bits)")
        }
        guard qmin < qmax else {
            throw QuantizationError.invalidScheme(field: "qmin", reason: "qmin (\(qmin)) must be less than qmax (\(qmax))")
        }
        let full = QuantScheme.integerRange(bits: bits, signed: signed, narrowRange: false)
        guard qmin >= full.qmin else {
            throw QuantizationError.invalidScheme(
                field: "qmin", reason: "\(qmin) is outside what \(bits) \(signed ? "signed" : "unsigned") bits allow (\(full.qmin)…\(full.qmax))")
        }
        guard qmax <= full.qmax else {
            throw QuantizationError.invalidScheme(
                field: "qmax", reason: "\(qmax) is outside what \(bits) \(signed ? "signed" : "unsigned") bits allow (\(full.qmin)…\(full.qmax))")
        }
        guard qmin <= 0, qmax >= 0 else {
            throw QuantizationError.invalidScheme(field: "qmin", reason: "the range \(qmin)…\(qmax) must contain 0")
        }
        switch granularity {
        case .perTensor: break
        case let .perChannel(axis):
            guard axis == 0 else {
                throw QuantizationError.invalidScheme(field: "granularity.axis", reason: "only axis 0 (output rows) is supported, got \(axis)")
            }
        case let .perGroup(size):
            guard size > 0 else {
                throw QuantizationError.invalidScheme(field: "granularity.size", reason: "group size must be positive, got \(size)")
            }
        case let .perEmbeddingGroup(groups, _):
            guard groups > 0 else {
                throw QuantizationError.invalidScheme(field: "granularity.groups", reason: "the number of groups must be positive, got \(groups)")
            }
            guard range == .staticMinMax else {
                throw QuantizationError.invalidScheme(
                    field: "range", reason: "per_embedding_group ranges are calibrated min/max per group, as Bondarenko et al. (static ranges): use static_min_max")
            }
        }
        if symmetric && !signed {
            throw QuantizationError.invalidScheme(field: "signed", reason: "symmetric schemes must be signed (zero point 0)")
        }
        switch scaleRule {
        case .fbgemm where symmetric:
            throw QuantizationError.invalidScheme(field: "scale_rule", reason: "fbgemm's ChooseQuantizationParams is affine; use torch_observer or max_abs for symmetric schemes")
        case .maxAbs where !symmetric:
            throw QuantizationError.invalidScheme(field: "scale_rule", reason: "max_abs (Q8BERT) is symmetric; set symmetric: true")
        default: break
        }
        switch range {
        case let .staticEMA(decay):
            guard decay > 0, decay < 1 else {
                throw QuantizationError.invalidScheme(field: "range.decay", reason: "must be in (0, 1), got \(decay)")
            }
        case let .staticPercentile(p):
            guard p > 50, p <= 100 else {
                throw QuantizationError.invalidScheme(field: "range.p", reason: "percentile must be in (50, 100], got \(p)")
            }
        default: break
        }
    }

    /// Bits one stored value takes (`bits`, or 16 for float16 and bfloat16).
    public var storageBits: Int { isFloat ? 16 : bits }
}
