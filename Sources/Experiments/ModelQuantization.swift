import BERT
import Quantization
import TensorCore

/// The one place a BERT model meets a quantization scheme (BERT and Quantization never import each other).
public enum ModelQuantization {
    /// Returns `model` with every selected linear layer replaced by the scheme's operator, and embedding tables
    /// round-tripped through the embedding scheme when the scheme asks for it.
    ///
    /// Static schemes (`requiresCalibration`) first run `calibration` batches through the FP32 model with
    /// `CalibratingLinear` wrappers that feed each layer's observers, then freeze the ranges.
    /// - Throws: `QuantizationError` for invalid schemes or layers; `ExperimentError` when a static scheme gets
    ///   no calibration batches.
    public static func apply(_ scheme: ModelScheme, to model: BertModel, calibration: [BertBatch] = []) throws -> BertModel {
        try scheme.validate()
        var out = model
        if scheme.quantizeEmbeddings, let es = scheme.embeddingScheme {
            out.wordEmbeddings = try WeightQuantizer.roundTrip(model.wordEmbeddings, scheme: es, name: "embeddings.word_embeddings")
            out.positionEmbeddings = try WeightQuantizer.roundTrip(model.positionEmbeddings, scheme: es,
                                                                   name: "embeddings.position_embeddings")
            out.tokenTypeEmbeddings = try WeightQuantizer.roundTrip(model.tokenTypeEmbeddings, scheme: es,
                                                                    name: "embeddings.token_type_embeddings")
            out.embeddingBitsPerValue = es.format == .float16 ? 16 : es.bits
        }
        if scheme.requiresCalibration {
            guard !calibration.isEmpty else {
                throw ExperimentError.invalid("scheme \(scheme.name) uses static activation ranges: "
                                              + "give calibration data (e.g. --calibration-data data/glue/MRPC --calibration-split train)")
            }
            var calibrators: [String: CalibratingLinear] = [:]
            let probe = try out.replacingLinears { name, op in
                guard let ls = scheme.layerScheme(for: name), ls.requiresCalibration, let dense = op as? DenseLinear else {
                    return op
                }
                let c = try CalibratingLinear(dense, name: name, scheme: ls)
                calibrators[name] = c
                return c
            }
            for batch in calibration { _ = try probe.forward(batch) }
            return try out.replacingLinears { name, op in
                if let c = calibrators[name] { return try c.finalize() }
                return try quantizeLayer(name, op, scheme)
            }
        }
        return try out.replacingLinears { name, op in try quantizeLayer(name, op, scheme) }
    }

    private static func quantizeLayer(_ name: String, _ op: any LinearOp, _ scheme: ModelScheme) throws -> any LinearOp {
        guard let ls = scheme.layerScheme(for: name) else { return op }
        guard let dense = op as? DenseLinear else {
            throw ExperimentError.invalid("layer \(name) is already quantized; start from an FP32 model")
        }
        return try quantize(dense, name: name, scheme: ls)
    }
}
