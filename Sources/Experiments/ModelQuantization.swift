import BERT
import Quantization
import TensorCore

/// The one place a BERT model meets a quantization scheme (BERT and Quantization never import each other).
public enum ModelQuantization {
    /// Returns `model` with every selected linear layer replaced by the scheme's operator, and embedding tables
    /// round-tripped through the embedding scheme when the scheme asks for it. Static schemes are calibrated
    /// on `calibration` first (`calibrate`).
    /// - Throws: `QuantizationError` for invalid schemes or layers; `ExperimentError` when a static scheme gets
    ///   no calibration batches.
    public static func apply(_ scheme: ModelScheme, to model: BertModel, calibration: [BertBatch] = []) throws -> BertModel {
        try scheme.validate()
        let ranges = scheme.requiresCalibration ? try calibrate(scheme, model: model, batches: calibration) : [:]
        return try apply(scheme, to: model, calibrations: ranges)
    }

    /// `apply` with already-recorded static ranges and SmoothQuant factors (by layer name). A SmoothQuant scheme
    /// first smooths the FP32 model (`SmoothQuantMigration`), then quantizes the smoothed layers (inside their
    /// `ChannelScaledLinear` where `1/s` is not folded into a LayerNorm).
    public static func apply(_ scheme: ModelScheme, to model: BertModel,
                             calibrations: [String: Calibration]) throws -> BertModel {
        try scheme.validate()
        let smoothed = scheme.smoothQuant == nil ? model
            : try SmoothQuantMigration.apply(scheme, calibrations: calibrations, to: model)
        var out = try quantizeEmbeddings(scheme, smoothed)
        out = try out.replacingLinears { name, op in
            guard let ls = scheme.layerScheme(for: name) else { return op }
            if let scaled = op as? ChannelScaledLinear, let dense = scaled.inner as? DenseLinear {
                return ChannelScaledLinear(multipliers: scaled.multipliers,
                                           inner: try quantize(dense, name: name, scheme: ls, calibration: calibrations[name]))
            }
            guard let dense = op as? DenseLinear else {
                throw ExperimentError.invalid("layer \(name) is already quantized; start from an FP32 model")
            }
            return try quantize(dense, name: name, scheme: ls, calibration: calibrations[name])
        }
        return out
    }

    /// Runs `batches` through the FP32 model and returns what the scheme calibrates, by layer name: with
    /// SmoothQuant, the factors (`Calibration.smoothing`, from per-channel activation maxima of the FP32 model);
    /// then the static ranges of every layer whose scheme has them (Q8BERT's EMA, min-max or percentile), recorded
    /// by `CalibratingLinear` wrappers on the smoothed model.
    public static func calibrate(_ scheme: ModelScheme, model: BertModel, batches: [BertBatch]) throws -> [String: Calibration] {
        guard !batches.isEmpty else {
            let why = scheme.layerSchemes.contains(where: \.requiresCalibration) ? "uses static activation ranges"
                : "applies SmoothQuant (per-channel activation maxima)"
            throw ExperimentError.invalid("scheme \(scheme.name) \(why): give calibration data "
                                          + "(e.g. --calibration-data data/glue/MRPC --calibration-split train)")
        }
        // One thread: OpenBLAS's sgemm can round differently with 1 and 2 threads, and static ranges must not
        // depend on the machine's thread setting (a calibrated file reproduces bit for bit anywhere).
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        let smoothing = try SmoothQuantMigration.factors(scheme, model: model, batches: batches)
        let smoothed = smoothing.isEmpty ? model : try SmoothQuantMigration.apply(scheme, factors: smoothing, to: model)
        var calibrators: [String: CalibratingLinear] = [:]
        let probe = try smoothed.replacingLinears { name, op in
            guard let ls = scheme.layerScheme(for: name), ls.requiresCalibration else { return op }
            if let scaled = op as? ChannelScaledLinear, let dense = scaled.inner as? DenseLinear {
                let c = try CalibratingLinear(dense, name: name, scheme: ls)
                calibrators[name] = c
                return ChannelScaledLinear(multipliers: scaled.multipliers, inner: c)
            }
            guard let dense = op as? DenseLinear else { return op }
            let c = try CalibratingLinear(dense, name: name, scheme: ls)
            calibrators[name] = c
            return c
        }
        if !calibrators.isEmpty {
            for batch in batches { _ = try probe.forward(batch) }
        }
        var out = calibrators.mapValues(\.calibration)
        for (name, s) in smoothing { out[name, default: Calibration(input: nil)].smoothing = s }
        return out
    }

    /// The embedding tables after the scheme's embedding quantization (unchanged when it has none).
    static func quantizeEmbeddings(_ scheme: ModelScheme, _ model: BertModel) throws -> BertModel {
        guard scheme.quantizeEmbeddings, let es = scheme.embeddingScheme else { return model }
        var out = try model.replacingEmbeddings { name, t in try WeightQuantizer.roundTrip(t, scheme: es, name: name) }
        out.embeddingBitsPerValue = es.storageBits
        return out
    }
}
