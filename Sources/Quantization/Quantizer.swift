import TensorCore

/// Turns a float linear layer into a `LinearOp` (STYLE.md §2; MLX `Quantizable`).
public protocol Quantizer: Sendable {
    /// The operator for `layer` (HF name `name`, used in errors); `calibration` carries static activation ranges.
    func quantize(_ layer: DenseLinear, name: String, calibration: Calibration?) throws -> any LinearOp
}

/// The quantizer for a `LayerScheme`: picks `QuantizedLinear`, `Float16Linear`, `BFloat16Linear` or `FakeQuantLinear` from
/// `scheme.implementation`, and `EmbeddingGroupLinear` for per-embedding-group activations.
public struct LinearQuantizer: Quantizer {
    /// The scheme applied to every layer this quantizer sees.
    public let scheme: LayerScheme

    /// A quantizer for `scheme`.
    public init(scheme: LayerScheme) {
        self.scheme = scheme
    }

    /// - Throws: `QuantizationError.inLayer(name, …)` for an invalid scheme, `.layerShape` when the weight does
    ///   not fit it (e.g. a group size that does not divide the input width), `.missingCalibration` when the
    ///   scheme has static ranges and `calibration` is nil.
    public func quantize(_ layer: DenseLinear, name: String, calibration: Calibration? = nil) throws -> any LinearOp {
        do { try scheme.validate() } catch let e as QuantizationError { throw QuantizationError.inLayer(name, e) }
        switch scheme.implementation {
        case .float16:
            return Float16Linear(layer)
        case .bfloat16:
            return try BFloat16Linear(layer, name: name)
        case .integerGEMM, .fakeQuant:
            let weights = try WeightQuantizer.quantizeWeights(layer.weight, scheme: scheme.weight, name: name)
            return try assemble(weights: weights, bias: layer.bias, name: name, calibration: calibration)
        }
    }

    /// Builds the integer or fake-quantized operator from already-quantized weights (codes + parameters), e.g.
    /// read back from a quantized checkpoint; `quantize` goes through here, so both give identical operators.
    /// - Throws: as `quantize`; `.layerShape` when the codes do not fit the scheme's operator.
    public func assemble(weights: QuantizedTensor, bias: [Float]?, name: String,
                         calibration: Calibration? = nil) throws -> any LinearOp {
        do { try scheme.validate() } catch let e as QuantizationError { throw QuantizationError.inLayer(name, e) }
        var activationRange: ActivationRange? = nil
        var outputRange: ActivationRange? = nil
        if let activation = scheme.activation {
            activationRange = try ActivationRange.make(activation, calibrated: calibration, layer: name)
            if let output = scheme.outputScheme {
                if !output.range.isDynamic, calibration != nil, calibration?.output == nil {
                    throw QuantizationError.missingCalibration(layer: name + " (output range)")
                }
                outputRange = try ActivationRange.make(output, calibrated: calibration, output: true, layer: name)
            }
        }
        if case let .grouped(layout, params) = activationRange, weights.int8Values != nil {
            return try EmbeddingGroupLinear(weights: weights, bias: bias, scheme: scheme, layout: layout, params: params,
                                            name: name)
        }
        if scheme.implementation == .integerGEMM, let activationRange, weights.int8Values != nil {
            return QuantizedLinear(weights: weights, bias: bias, scheme: scheme,
                                   activationRange: activationRange, outputRange: outputRange)
        }
        return FakeQuantLinear(weights: weights, bias: bias, scheme: scheme,
                               activationRange: activationRange, outputRange: outputRange)
    }
}

/// The entry point the experiment layer calls per layer: `layer` quantized with `scheme`.
///
/// `name` is the HF layer name (`encoder.layer.3.output.dense`) used in error messages; `calibration` is what
/// `CalibratingLinear.calibration` recorded, required when the scheme's activation range is static.
public func quantize(_ layer: DenseLinear, name: String, scheme: LayerScheme,
                     calibration: Calibration? = nil) throws -> any LinearOp {
    try LinearQuantizer(scheme: scheme).quantize(layer, name: name, calibration: calibration)
}
