import Datasets
import LayerStats
import Quantization

/// What `StatsRun` measured for one linear layer under one scheme.
public struct LayerReport {
    /// HF layer name (`encoder.layer.3.output.dense`).
    public var name: String
    /// The layer's scheme; nil when the scheme keeps this layer FP32.
    public var layerScheme: LayerScheme?
    /// Weight statistics (nil for FP32 layers).
    public var weight: WeightStatistics?
    /// Output of the quantized model's layer against the FP32 model's, real tokens of every batch.
    public var output: OutputComparison
    /// Inputs this layer sees in the quantized model (range, percentiles, fraction clipped by its input grid).
    public var input: RangeAccumulator
    /// Where the input grid comes from: `dynamic_per_tensor`, `dynamic_per_row`, `static` or `none`.
    public var inputGrid: String
    /// Calibrated input grid for static schemes.
    public var staticInputGrid: ClipParams?
    /// Predictions that flip (vs FP32) when only this layer is quantized (`--sensitivity`).
    public var sensitivityFlips: Int?
    /// Logit error when only this layer is quantized (`--sensitivity`).
    public var sensitivityLogits: ErrorMetrics?

    /// True when the scheme quantizes this layer.
    public var isQuantized: Bool { layerScheme != nil }
}

/// Statistics of one embedding table the scheme quantizes (Q8BERT).
public struct EmbeddingReport {
    /// `embeddings.word_embeddings` etc.
    public var name: String
    /// The table's statistics under the scheme's embedding scheme.
    public var weight: WeightStatistics
}

/// Everything measured for one scheme.
public struct SchemeReport {
    /// The scheme measured.
    public var scheme: ModelScheme
    /// Every linear layer in execution order (quantized or not).
    public var layers: [LayerReport]
    /// Quantized embedding tables (empty unless the scheme quantizes embeddings).
    public var embeddings: [EmbeddingReport]
    /// Hidden-state names in depth order (`embeddings`, `encoder.layer.0`, …).
    public var hiddenNames: [String]
    /// Error of each hidden state, same order.
    public var hiddenStates: [OutputComparison]
    /// Logit error over all examples.
    public var logits: ErrorMetrics
    /// Predictions of the quantized model, in data-set order.
    public var predictions: [Int]
    /// Predictions that differ from FP32's.
    public var flips: Int
    /// F1/accuracy when the data is labelled.
    public var metrics: ClassificationMetrics?
    /// Flips when only the embedding tables are quantized (`--sensitivity`, schemes that quantize embeddings).
    public var embeddingSensitivityFlips: Int?

    /// The `n` quantized layers with the lowest output SQNR, worst first (ties: execution order).
    public func worstLayers(_ n: Int) -> [LayerReport] {
        let q = layers.enumerated().filter { $0.element.isQuantized }
        let sorted = q.sorted { a, b in
            let x = a.element.output.metrics.sqnrDB, y = b.element.output.metrics.sqnrDB
            if x != y { return x.isNaN ? false : (y.isNaN ? true : x < y) }
            return a.offset < b.offset
        }
        return sorted.prefix(n).map(\.element)
    }
}

/// Outlier-channel statistics of one FP32 tensor (`/fp32/outliers`).
public struct TensorOutliers {
    /// Which tensor: a linear layer's input, or a block's residual sum (the input of an Add & Norm LayerNorm).
    public enum Kind: String {
        case linearInput = "linear_input"
        case residualSum = "residual_sum"
    }
    /// The linear layer's name, or the LayerNorm's (`encoder.layer.0.output.LayerNorm`).
    public var name: String
    public var kind: Kind
    public var statistics: ChannelOutliers
}

/// The result of a statistics run: the FP32 reference and one `SchemeReport` per scheme.
public struct StatsReport {
    /// Linear layer names in execution order.
    public var layerNames: [String]
    /// Input ranges of the FP32 model's linear layers (what calibration sees).
    public var fp32Inputs: [String: RangeAccumulator]
    /// Outlier channels of the FP32 model's linear inputs and residual sums, in the order they ran (empty when the
    /// run had no token classes).
    public var fp32Outliers: [TensorOutliers]
    /// FP32 predictions, in data-set order.
    public var fp32Predictions: [Int]
    /// FP32 logits `[examples][labels]`.
    public var fp32Logits: [[Float]]
    /// Gold labels when the data is labelled.
    public var labels: [Int]?
    /// FP32's F1/accuracy when labelled.
    public var fp32Metrics: ClassificationMetrics?
    /// One report per scheme, in the order given.
    public var schemes: [SchemeReport]
    /// Examples evaluated.
    public var examples: Int
    /// How the run was made.
    public var options: StatsOptions
    /// Wall time of the run (forward passes and statistics, not the file write).
    public var seconds: Double
}
