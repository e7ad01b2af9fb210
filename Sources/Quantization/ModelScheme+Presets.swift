// Named presets. Each is registered in `SchemeRegistry.table`; a published name is never reused for a
// different scheme (STYLE.md §4): change a preset's numerics only by adding a new name.

extension QuantScheme {
    /// PyTorch `default_weight_observer`: qint8 `per_tensor_symmetric`, −128…127,
    /// `s = max|w| / 127.5` floored at float32 eps, z = 0.
    public static let pytorchWeight = QuantScheme.integer(bits: 8, signed: true, symmetric: true)

    /// PyTorch `default_per_channel_weight_observer`: qint8 `per_channel_symmetric` (axis 0), −128…127,
    /// one `max|w_row| / 127.5` per output row, floored at float32 eps.
    public static let pytorchWeightPerChannel = QuantScheme.integer(bits: 8, signed: true, symmetric: true,
                                                                    granularity: .perChannel(axis: 0))

    /// PyTorch dynamic activations on x86 (`linear_dynamic(…, reduce_range=True)`): quint8 affine per call over
    /// the whole input, fbgemm `ChooseQuantizationParams`, codes 0…127.
    public static let pytorchDynamicActivation = QuantScheme.integer(bits: 8, signed: false, symmetric: false,
                                                                     range: .dynamicPerTensor, scaleRule: .fbgemm)
        .withRange(qmin: 0, qmax: 127)

    /// As `pytorchDynamicActivation` with the full 0…255 (`reduce_range=False`).
    public static let pytorchDynamicActivation8Bit = QuantScheme.integer(bits: 8, signed: false, symmetric: false,
                                                                         range: .dynamicPerTensor, scaleRule: .fbgemm)

    /// Q8BERT weights: symmetric −127…127, multiplier `127 / max|W|` per tensor.
    public static let q8bertWeight = QuantScheme.integer(bits: 8, signed: true, symmetric: true, narrowRange: true,
                                                         scaleRule: .maxAbs)

    /// Q8BERT dynamic activations: symmetric −127…127, multiplier `127 / max|x|` of each call.
    public static let q8bertDynamicActivation = QuantScheme.integer(bits: 8, signed: true, symmetric: true,
                                                                    narrowRange: true, range: .dynamicPerTensor,
                                                                    scaleRule: .maxAbs)

    /// Q8BERT static activations: threshold = EMA (decay 0.9999) of `max|x|` over calibration batches.
    public static let q8bertStaticActivation = QuantScheme.q8bertDynamicActivation.withRange(.staticEMA(decay: 0.9999))

    /// torchao's per-token activations (`Int8DynamicActivationInt8WeightConfig()`, version 2: `Int8Tensor.from_hp`
    /// with `PerRow()`, `MappingType.SYMMETRIC`; torchao `quantization/quantize_/workflows/int8/int8_tensor.py` and
    /// `quant_primitives._choose_qparams_affine` / `_quantize_affine_no_dtype_cast`, pytorch/ao at 36027d8):
    /// qint8 −128…127 (`_DTYPE_TO_QVALUE_BOUNDS[torch.int8]`), per row of each call
    ///
    ///     s = max(max(−min(x_r, 0), max(x_r, 0)) / 127.5, 2⁻²³)     float32; 127.5 = (quant_max − quant_min) / 2,
    ///                                                              eps = torch.finfo(torch.float32).eps
    ///     q = clamp(round(x · (1 / s)) + 0, −128, 127)             round = torch.round, half to even
    ///
    /// — exactly the torch.ao observer's symmetric rule (`torchObserver`). Version 1 of the config (removed by
    /// torchao, pytorch/ao#2752) used `_int8_symm_per_token_reduced_range_quant`: −127…127 and eps 1e-5.
    public static let torchaoPerTokenActivation = QuantScheme.integer(bits: 8, signed: true, symmetric: true,
                                                                      range: .dynamicPerRow, scaleRule: .torchObserver)

    /// Per-embedding-group activations (Bondarenko et al. 2021, §4): asymmetric uint8 0…255 with calibrated
    /// min/max per group of K/`groups` input dimensions (torch.ao observer rule: `s = (max⁺ − min⁻) / 255`,
    /// `z = −round(min⁻ / s)`), dimensions sorted by calibrated range first when `permute`.
    public static func embeddingGroupActivation(groups: Int, permute: Bool) -> QuantScheme {
        QuantScheme.integer(bits: 8, signed: false, symmetric: false,
                            granularity: .perEmbeddingGroup(groups: groups, permute: permute), range: .staticMinMax)
    }
}

extension ModelScheme {
    /// No quantization: every layer FP32.
    public static let fp32 = ModelScheme(name: "fp32", summary: "FP32 reference, nothing quantized", defaultScheme: nil)

    /// `torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)` on x86/fbgemm — the
    /// tutorial's scheme: every nn.Linear (pooler and classifier included), qint8 symmetric per-tensor weights,
    /// quint8 activations 0…127 per call, FP32 bias; embeddings FP32.
    public static let pytorchDynamic = ModelScheme(
        name: "pytorch-dynamic",
        summary: "PyTorch quantize_dynamic (fbgemm): int8 per-tensor symmetric weights, uint8 0..127 dynamic activations",
        defaultScheme: LayerScheme(weight: .pytorchWeight, activation: .pytorchDynamicActivation))

    /// As `pytorchDynamic` with 8-bit (0…255) activations (`reduce_range=False`, PR #34691's "8-bit" row).
    public static let pytorchDynamic8Bit = ModelScheme(
        name: "pytorch-dynamic-8bit",
        summary: "PyTorch quantize_dynamic with full-range uint8 0..255 activations (reduce_range=False)",
        defaultScheme: LayerScheme(weight: .pytorchWeight, activation: .pytorchDynamicActivation8Bit))

    /// `per_channel_dynamic_qconfig`: per-output-channel symmetric qint8 weights, reduce_range activations.
    public static let pytorchDynamicPerChannel = ModelScheme(
        name: "pytorch-dynamic-per-channel",
        summary: "PyTorch per_channel_dynamic_qconfig: int8 per-channel symmetric weights, uint8 0..127 dynamic activations",
        defaultScheme: LayerScheme(weight: .pytorchWeightPerChannel, activation: .pytorchDynamicActivation))

    /// `float16_dynamic_qconfig`: binary16 weights (saturated at ±65504), FP32 activations and bias.
    public static let fp16 = ModelScheme(
        name: "fp16",
        summary: "PyTorch float16_dynamic_qconfig: binary16 weights, FP32 activations",
        defaultScheme: LayerScheme(weight: .float16))

    /// bfloat16 linear layers: weights and activations rounded to bfloat16, FP32 accumulation and bias (PyTorch CPU
    /// autocast's `nn.Linear` numerics, without rounding the outputs); everything else FP32. AVX512-BF16 where the
    /// CPU has it (`BFloat16Linear`).
    public static let bf16 = ModelScheme(
        name: "bf16",
        summary: "bfloat16 weights and activations in every linear layer, FP32 accumulation and bias",
        defaultScheme: LayerScheme(weight: .bfloat16, activation: .bfloat16))

    /// Q8BERT post-training, dynamic activation ranges: symmetric 8-bit (−127…127) weights and activations,
    /// int32 bias, FC outputs re-quantized to 8 bits, embeddings quantized.
    public static let q8bertDynamic = ModelScheme(
        name: "q8bert-dynamic",
        summary: "Q8BERT (nlp-architect) symmetric int8 -127..127, dynamic per-call activation ranges, int32 bias, requantized outputs",
        defaultScheme: LayerScheme(weight: .q8bertWeight, activation: .q8bertDynamicActivation,
                                   options: LayerOptions(bias: .int32, requantizeOutput: true)),
        quantizeEmbeddings: true)

    /// Q8BERT with static activation and output ranges: EMA (decay 0.9999) of `max|x|` over a calibration pass.
    public static let q8bertStatic = ModelScheme(
        name: "q8bert-static",
        summary: "Q8BERT with EMA (0.9999) calibrated activation/output ranges; needs a calibration pass",
        defaultScheme: LayerScheme(weight: .q8bertWeight, activation: .q8bertStaticActivation,
                                   options: LayerOptions(bias: .int32, requantizeOutput: true)),
        quantizeEmbeddings: true)

    /// Weight-only int8: per-channel symmetric weights (−128…127), FP32 activations (fake quantization).
    public static let weightOnlyInt8 = ModelScheme(
        name: "weight-only-int8",
        summary: "int8 per-channel symmetric weights, FP32 activations",
        defaultScheme: LayerScheme(weight: .pytorchWeightPerChannel))

    /// torchao `quantize_(model, Int8DynamicActivationInt8WeightConfig())` (version 2, the default): int8 per-token
    /// symmetric dynamic activations (`torchaoPerTokenActivation`) and int8 per-output-channel symmetric weights
    /// (`PerRow()`: −128…127, `s = max|w_n| / 127.5` floored at 2⁻²³ — `pytorchWeightPerChannel`), FP32 bias, every
    /// nn.Linear; embeddings FP32. The integer codes are torchao's bit for bit; the epilogue is ours (fbgemm order,
    /// `float(C) · (s_a · s_w)`), where torchao's `_int_scaled_matmul` computes `(float(C) · s_a) · s_w`, so outputs
    /// can differ from torchao's in the last bit.
    public static let torchaoInt8Dynamic = ModelScheme(
        name: "torchao-int8-dynamic",
        summary: "torchao Int8DynamicActivationInt8WeightConfig: int8 per-token symmetric dynamic activations, int8 per-channel weights",
        defaultScheme: LayerScheme(weight: .pytorchWeightPerChannel, activation: .torchaoPerTokenActivation))

    /// Per-embedding-group activations, 6 groups, no permutation (Bondarenko et al. 2021, `--per-groups 6`):
    /// calibrated asymmetric uint8 ranges per group of hidden dimensions, int8 per-tensor symmetric weights,
    /// FP32 bias; a calibration pass sets the ranges (static, as the paper).
    public static let peg6 = ModelScheme(
        name: "peg6",
        summary: "PEG (Bondarenko 2021): uint8 activations with calibrated min/max per group of K/6 dims, int8 per-tensor weights",
        defaultScheme: LayerScheme(weight: .pytorchWeight, activation: .embeddingGroupActivation(groups: 6, permute: false)))

    /// As `peg6` with the range-based permutation (`--per-groups 6 --per-groups-permute`): dimensions sorted by
    /// calibrated range so the outlier dimensions share one group; the weight's input columns follow.
    public static let peg6Permuted = ModelScheme(
        name: "peg6-permuted",
        summary: "PEG with range-based permutation: dims sorted by calibrated range, 6 groups, int8 per-tensor weights",
        defaultScheme: LayerScheme(weight: .pytorchWeight, activation: .embeddingGroupActivation(groups: 6, permute: true)))

    /// 4-bit symmetric weights (−8…7, `s = max|w| / 7.5`) in groups of 32 input columns, FP32 activations.
    public static let int4PerGroup = ModelScheme(
        name: "int4-per-group",
        summary: "int4 symmetric weights per group of 32 inputs, FP32 activations (fake quantization)",
        defaultScheme: LayerScheme(weight: .integer(bits: 4, signed: true, symmetric: true,
                                                    granularity: .perGroup(size: 32))))
}
