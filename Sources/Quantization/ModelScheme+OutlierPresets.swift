/// Outlier-aware presets built from the base presets (`ModelScheme+Presets.swift`): SmoothQuant migration, and
/// Bondarenko et al.'s mixed-precision recipe (FFN tensors at 16 bits).
extension QuantScheme {
    /// Q8BERT's symmetric rule at 16 bits: codes −32767…32767, `s⁻¹ = 32767 / max|x|` of each call (fake quantization).
    public static let q8bertDynamicActivation16 = QuantScheme.integer(bits: 16, signed: true, symmetric: true,
                                                                      narrowRange: true, range: .dynamicPerTensor,
                                                                      scaleRule: .maxAbs)

    /// As `q8bertDynamicActivation16` with Q8BERT's EMA (decay 0.9999) of `max|x|` over calibration batches.
    public static let q8bertStaticActivation16 = QuantScheme.q8bertDynamicActivation16.withRange(.staticEMA(decay: 0.9999))

    /// 16-bit affine activations, codes 0…65535 per call, torch.ao's observer rule `s = (max⁺ − min⁻) / 65535`
    /// (fbgemm's `ChooseQuantizationParams` is not used: its 6.1e-5 scale floor would cap 16-bit resolution on
    /// ranges narrower than 4).
    public static let dynamicActivation16Affine = QuantScheme.integer(bits: 16, signed: false, symmetric: false,
                                                                      range: .dynamicPerTensor, scaleRule: .torchObserver)
}

extension ModelScheme {
    /// Every family's feed-forward input layer (`EncoderLayout.Block.intermediate`): BERT, RoBERTa, XLM-R, ELECTRA
    /// and DeBERTa-v2 name it `encoder.layer.N.intermediate.dense`, DistilBERT `transformer.layer.N.ffn.lin1`,
    /// ALBERT `encoder.albert_layer_groups.G.albert_layers.J.ffn`.
    public static let feedForwardInputPatterns = ["encoder.layer.*.intermediate.dense", "transformer.layer.*.ffn.lin1",
                                                  "encoder.albert_layer_groups.*.albert_layers.*.ffn"]
    /// Every family's feed-forward output layer (`EncoderLayout.Block.output`); `*` stays within one name segment,
    /// so `encoder.layer.*.output.dense` does not match `…attention.output.dense`.
    public static let feedForwardOutputPatterns = ["encoder.layer.*.output.dense", "transformer.layer.*.ffn.lin2",
                                                   "encoder.albert_layer_groups.*.albert_layers.*.ffn_output"]

    /// `base` with SmoothQuant (`SmoothQuantSpec`, strength `alpha`) applied before its layers are quantized.
    public static func smoothQuant(_ base: ModelScheme, alpha: Double = 0.5, name: String) -> ModelScheme {
        var s = base
        s.name = name
        s.summary = "SmoothQuant alpha=\(alpha) (q/k/v, FFN intermediate, embedding projection) then \(base.name)"
        s.smoothQuant = SmoothQuantSpec(alpha: alpha)
        return s
    }

    /// Bondarenko et al. 2021's mixed precision W8A{8,16} on `base` (every layer with its default scheme):
    /// the feed-forward input layer's input quantized with `sixteen` (the FFN input), and, when the base
    /// re-quantizes outputs, the feed-forward output layer's output re-quantized with `sixteen` (the FFN output,
    /// which enters the residual sum); the FFN input layer's own output keeps the base's 8-bit re-quantization.
    /// The residual sum itself is never quantized in this engine (FP32 in every scheme). Layers with 16-bit inputs
    /// run as fake quantization; the others keep the base's implementation.
    public static func mixedPrecision16(_ base: ModelScheme, sixteen: QuantScheme, name: String, summary: String) -> ModelScheme {
        guard let d = base.defaultScheme, let a = d.activation else {
            preconditionFailure("mixedPrecision16: \(base.name) must quantize activations")
        }
        var ffnIn = d
        ffnIn.activation = sixteen
        if d.options.requantizeOutput { ffnIn.output = a }
        var ffnOut = d
        ffnOut.output = sixteen
        var s = base
        s.name = name
        s.summary = summary
        s.overrides = feedForwardInputPatterns.map { LayerOverride(pattern: $0, scheme: ffnIn) }
            + (d.options.requantizeOutput ? feedForwardOutputPatterns.map { LayerOverride(pattern: $0, scheme: ffnOut) } : [])
            + base.overrides
        return s
    }

    /// `smoothQuant(.pytorchDynamic)`: SmoothQuant α = 0.5, then PyTorch dynamic int8.
    public static let smoothQuantPyTorchDynamic = smoothQuant(.pytorchDynamic, name: "smoothquant-pytorch-dynamic")
    /// `smoothQuant(.q8bertDynamic)`: SmoothQuant α = 0.5, then Q8BERT with per-call ranges.
    public static let smoothQuantQ8BERTDynamic = smoothQuant(.q8bertDynamic, name: "smoothquant-q8bert-dynamic")
    /// `smoothQuant(.q8bertStatic)`: SmoothQuant α = 0.5, then Q8BERT with calibrated EMA ranges (per-tensor
    /// static symmetric int8 activations, the paper's O3 setting up to the weight rule).
    public static let smoothQuantQ8BERTStatic = smoothQuant(.q8bertStatic, name: "smoothquant-q8bert-static")

    /// `q8bert-static` with the FFN input and FFN output at 16 bits (`mixedPrecision16`).
    public static let q8bertStaticMP16 = mixedPrecision16(
        .q8bertStatic, sixteen: .q8bertStaticActivation16, name: "q8bert-static-mp16",
        summary: "q8bert-static with 16-bit (-32767..32767, EMA) FFN input (intermediate layer's input) and FFN output "
            + "(output layer's re-quantized output); all else 8-bit; residual sum FP32 as in every scheme")

    /// `q8bert-dynamic` with the FFN input and FFN output at 16 bits (`mixedPrecision16`).
    public static let q8bertDynamicMP16 = mixedPrecision16(
        .q8bertDynamic, sixteen: .q8bertDynamicActivation16, name: "q8bert-dynamic-mp16",
        summary: "q8bert-dynamic with 16-bit (-32767..32767, per call) FFN input (intermediate layer's input) and FFN "
            + "output (output layer's re-quantized output); all else 8-bit; residual sum FP32 as in every scheme")

    /// `pytorch-dynamic` with the FFN input at 16 bits (`mixedPrecision16`; its outputs are FP32 already).
    public static let pyTorchDynamicMP16 = mixedPrecision16(
        .pytorchDynamic, sixteen: .dynamicActivation16Affine, name: "pytorch-dynamic-mp16",
        summary: "pytorch-dynamic with a 16-bit (0..65535 affine, per call) FFN input (intermediate layer's input); "
            + "FFN output and residual sum are FP32 as in pytorch-dynamic")
}
