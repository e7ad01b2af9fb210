/// The quantization of one linear layer: its weight, its input activations (nil = weight-only) and options.
///
/// JSON: `{"weight": {…}, "activation": {…}, "output": {…}, "options": {"bias": "fp32", "requantize_output": false}}`;
/// `activation`, `output` and `options` may be omitted (weight-only, outputs re-quantized with the activation
/// scheme, FP32 bias, no output re-quantization).
public struct LayerScheme: Codable, Hashable, Sendable {
    /// How the weight `[out, in]` is quantized.
    public var weight: QuantScheme
    /// How the layer input `[rows, in]` is quantized; nil keeps activations in FP32 (weight-only).
    public var activation: QuantScheme?
    /// How the output `[rows, out]` is re-quantized when `options.requantizeOutput` (nil = with `activation`), e.g.
    /// 16-bit outputs of an 8-bit layer (the mixed-precision presets). Encoded only when set.
    public var output: QuantScheme?
    /// Bias handling and output re-quantization.
    public var options: LayerOptions

    /// A layer scheme; omit `activation` for weight-only quantization.
    public init(weight: QuantScheme, activation: QuantScheme? = nil, output: QuantScheme? = nil,
                options: LayerOptions = LayerOptions()) {
        self.weight = weight
        self.activation = activation
        self.output = output
        self.options = options
    }

    enum CodingKeys: String, CodingKey { case weight, activation, output, options }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weight = try c.decode(QuantScheme.self, forKey: .weight)
        activation = try c.decodeIfPresent(QuantScheme.self, forKey: .activation)
        output = try c.decodeIfPresent(QuantScheme.self, forKey: .output)
        options = try c.decodeIfPresent(LayerOptions.self, forKey: .options) ?? LayerOptions()
    }

    /// Which `LinearOp` implementation runs this scheme.
    public enum Implementation: String, Hashable, Sendable {
        /// `QuantizedLinear`: int8 GEMM with int32 accumulation (exact integer math).
        case integerGEMM = "integer_gemm"
        /// `Float16Linear`: binary16-rounded weights, FP32 GEMM.
        case float16
        /// `BFloat16Linear`: bfloat16 weights and activations, FP32 accumulation (qb_gemm_bf16_packed).
        case bfloat16
        /// `FakeQuantLinear`: quantize→dequantize in FP32, then FP32 GEMM (per-group or affine weights,
        /// weight-only schemes).
        case fakeQuant = "fake_quant"
    }

    /// The implementation `LinearQuantizer` picks: integer GEMM when weights are symmetric per-tensor or
    /// per-channel (zero point 0, codes fit int8 for any 2…8 bits) and activations are integer of at most 8 bits;
    /// binary16 for float16 weights; fake quantization otherwise (per-group or affine weights, FP32 activations,
    /// or 9…16-bit activations, which the 8-bit kernels cannot take). Output re-quantization is FP32 arithmetic in
    /// every implementation, so a 16-bit `output` does not change the choice.
    public var implementation: Implementation {
        if weight.format == .float16 { return .float16 }
        if weight.format == .bfloat16 { return .bfloat16 }
        guard let activation, activation.format == .integer, activation.bits <= 8 else { return .fakeQuant }
        switch weight.granularity {
        case .perTensor, .perChannel: break
        case .perGroup: return .fakeQuant
        case .perEmbeddingGroup: return .fakeQuant // refused by validate()
        }
        return weight.symmetric && weight.signed ? .integerGEMM : .fakeQuant
    }

    /// The scheme outputs are re-quantized with: `output ?? activation` when `options.requantizeOutput`, else nil.
    public var outputScheme: QuantScheme? {
        options.requantizeOutput ? (output ?? activation) : nil
    }

    /// True when activation (and output) ranges come from a calibration pass.
    public var requiresCalibration: Bool {
        guard let activation, !activation.isFloat else { return false }
        return !activation.range.isDynamic
    }

    /// Checks both schemes and the options; errors name the field (`weight.bits`, `options.bias`…).
    public func validate() throws {
        do { try weight.validate() } catch let e as QuantizationError { throw e.prefixed("weight") }
        if let activation {
            do { try activation.validate() } catch let e as QuantizationError { throw e.prefixed("activation") }
        }
        if weight.format == .integer, weight.bits > 8 {
            throw QuantizationError.invalidScheme(field: "weight.bits", reason: "integer weights are 2…8 bits (9…16 bits are for activations and outputs), got \(weight.bits)")
        }
        if let output {
            do { try output.validate() } catch let e as QuantizationError { throw e.prefixed("output") }
            guard options.requantizeOutput, let activation else {
                throw QuantizationError.invalidScheme(field: "output", reason: "an output scheme needs an activation scheme and options.requantize_output: true")
            }
            guard output.format == .integer, output.granularity == .perTensor else {
                throw QuantizationError.invalidScheme(field: "output", reason: "outputs are re-quantized to integers per tensor")
            }
            guard output.range.isDynamic == activation.range.isDynamic else {
                throw QuantizationError.invalidScheme(field: "output.range", reason: "must be dynamic when the activation range is dynamic and static when it is static")
            }
        }
        if weight.format == .integer, weight.range != .staticMinMax {
            throw QuantizationError.invalidScheme(field: "weight.range", reason: "weights use their own min/max: static_min_max")
        }
        if weight.granularity.isEmbeddingGroup {
            throw QuantizationError.invalidScheme(field: "weight.granularity",
                                                  reason: "per_embedding_group is an activation granularity; weights are per_tensor, per_channel or per_group")
        }
        if weight.format == .bfloat16 || activation?.format == .bfloat16 {
            guard weight.format == .bfloat16, activation?.format == .bfloat16 else {
                throw QuantizationError.invalidScheme(field: activation?.format == .bfloat16 ? "weight.format" : "activation",
                                                      reason: "bfloat16 runs weights and activations in bfloat16: set both to {format: bfloat16}")
            }
        } else if let activation {
            guard weight.format == .integer else {
                throw QuantizationError.invalidScheme(field: "activation", reason: "float16 weights run with FP32 activations; remove the activation scheme")
            }
            guard activation.format == .integer else {
                throw QuantizationError.invalidScheme(field: "activation.format", reason: "activations can only be quantized to integers")
            }
            switch activation.granularity {
            case .perTensor: break
            case .perEmbeddingGroup:
                guard implementation == .integerGEMM else {
                    throw QuantizationError.invalidScheme(
                        field: "weight", reason: "per_embedding_group activations run as per-group integer GEMMs: the weight must be signed symmetric per_tensor or per_channel")
                }
                guard options.bias == .float32 else {
                    throw QuantizationError.invalidScheme(field: "options.bias", reason: "per_embedding_group activations have one scale per group, so the bias stays fp32")
                }
                guard !options.requantizeOutput else {
                    throw QuantizationError.invalidScheme(field: "options.requantize_output", reason: "not supported with per_embedding_group activations")
                }
            default:
                throw QuantizationError.invalidScheme(field: "activation.granularity",
                                                      reason: "activations are per_tensor or per_embedding_group; use range dynamic_per_row for one scale per token")
            }
        }
        if options.bias == .int32 {
            guard activation != nil else {
                throw QuantizationError.invalidScheme(field: "options.bias", reason: "an int32 bias needs an activation scale (s_w·s_a); add an activation scheme")
            }
            if case .perGroup = weight.granularity {
                throw QuantizationError.invalidScheme(field: "options.bias", reason: "an int32 bias needs one weight scale per output channel, not per group")
            }
        }
        if options.requantizeOutput, activation == nil {
            throw QuantizationError.invalidScheme(field: "options.requantize_output",
                                                  reason: "output re-quantization uses the activation scheme; add one")
        }
    }
}

/// Per-layer options beyond the two tensor schemes.
public struct LayerOptions: Codable, Hashable, Sendable {
    /// How the bias is kept.
    public enum Bias: String, Codable, Hashable, Sendable {
        /// FP32, added after dequantization (PyTorch: the bias is never quantized).
        case float32 = "fp32"
        /// Quantized to int32 with multiplier `s_w⁻¹ · s_a⁻¹` (zero point 0, clamped to ±(2³¹−1)) and added to the
        /// integer accumulator before dequantization (Q8BERT `quantize(bias, bias_scale, 32)`). With dynamic
        /// activations it is re-quantized on every call, as nlp-architect's `quantized_bias` property does.
        case int32
    }

    /// FP32 or int32 bias.
    public var bias: Bias
    /// Re-quantize the FP32 output with the activation scheme (Q8BERT `requantize_output`: symmetric 8-bit,
    /// per call for dynamic ranges, calibrated output range for static ones), then dequantize it again.
    public var requantizeOutput: Bool

    /// Defaults: FP32 bias, no output re-quantization (PyTorch dynamic).
    public init(bias: Bias = .float32, requantizeOutput: Bool = false) {
        self.bias = bias
        self.requantizeOutput = requantizeOutput
    }

    enum CodingKeys: String, CodingKey {
        case bias
        case requantizeOutput = "requantize_output"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        bias = try c.decodeIfPresent(Bias.self, forKey: .bias) ?? .float32
        requantizeOutput = try c.decodeIfPresent(Bool.self, forKey: .requantizeOutput) ?? false
    }
}
