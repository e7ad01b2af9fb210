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

    /// `apply` with already-recorded static ranges (by layer name).
    public static func apply(_ scheme: ModelScheme, to model: BertModel,
                             calibrations: [String: Calibration]) throws -> BertModel {
        try scheme.validate()
        var out = try quantizeEmbeddings(scheme, model)
        out = try out.replacingLinears { name, op in
            guard let ls = scheme.layerScheme(for: name) else { return op }
            guard let dense = op as? DenseLinear else {
                throw ExperimentError.invalid("layer \(name) is already quantized; start from an FP32 model")
            }
            return try quantize(dense, name: name, scheme: ls, calibration: calibrations[name])
        }
        return out
    }

    /// Runs `batches` through the FP32 model with `CalibratingLinear` wrappers on every layer whose scheme has
    /// static ranges, and returns the recorded ranges by layer name (Q8BERT's EMA, min-max or percentile).
    public static func calibrate(_ scheme: ModelScheme, model: BertModel, batches: [BertBatch]) throws -> [String: Calibration] {
        guard !batches.isEmpty else {
            throw ExperimentError.invalid("scheme \(scheme.name) uses static activation ranges: give calibration data "
                                          + "(e.g. --calibration-data data/glue/MRPC --calibration-split train)")
        }
        var calibrators: [String: CalibratingLinear] = [:]
        let probe = try model.replacingLinears { name, op in
            guard let ls = scheme.layerScheme(for: name), ls.requiresCalibration, let dense = op as? DenseLinear else {
                return op
            }
            let c = try CalibratingLinear(dense, name: name, scheme: ls)
            calibrators[name] = c
            return c
        }
        // One thread: OpenBLAS's sgemm can round differently with 1 and 2 threads, and static ranges must not
        // depend on the machine's thread setting (a calibrated file reproduces bit for bit anywhere).
        let threads = Parallel.threads
        Parallel.setThreads(1)
        defer { Parallel.setThreads(threads) }
        for batch in batches { _ = try probe.forward(batch) }
        return calibrators.mapValues(\.calibration)
    }

    /// The embedding tables after the scheme's embedding quantization (unchanged when it has none).
    static func quantizeEmbeddings(_ scheme: ModelScheme, _ model: BertModel) throws -> BertModel {
        guard scheme.quantizeEmbeddings, let es = scheme.embeddingScheme else { return model }
        var out = model
        out.wordEmbeddings = try WeightQuantizer.roundTrip(model.wordEmbeddings, scheme: es, name: "embeddings.word_embeddings")
        out.positionEmbeddings = try WeightQuantizer.roundTrip(model.positionEmbeddings, scheme: es,
                                                               name: "embeddings.position_embeddings")
        out.tokenTypeEmbeddings = try WeightQuantizer.roundTrip(model.tokenTypeEmbeddings, scheme: es,
                                                                name: "embeddings.token_type_embeddings")
        out.embeddingBitsPerValue = es.storageBits
        return out
    }
}
