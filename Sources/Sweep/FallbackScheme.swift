import Quantization
import RunRecords

/// The units a recommendation can revert, and a scheme with some of them reverted.
///
/// A unit is a linear layer the scheme quantizes (its HF name, `encoder.layer.3.output.dense`) or, when the
/// scheme quantizes embedding tables, `embeddings` (all three tables: they share the scheme's one
/// `quantize_embeddings` switch). Reverting is written as data the scheme file format already has: one `overrides`
/// entry per reverted layer (its exact name as the pattern, ahead of the scheme's own overrides, so it wins) with the
/// fallback layer scheme (none = FP32), and `quantize_embeddings: false` for `embeddings`.
public enum FallbackScheme {
    /// The unit name of the embedding tables.
    public static let embeddings = "embeddings"

    /// The units of `scheme` on a model with linear layers `linearNames`, in model order (embeddings first).
    public static func units(of scheme: ModelScheme, linearNames: [String]) -> [String] {
        let linears = linearNames.filter { scheme.layerScheme(for: $0) != nil }
        return (scheme.embeddingScheme != nil ? [embeddings] : []) + linears
    }

    /// `base` with `reverted` units turned back: linear layers to `fallback` (nil = FP32), embeddings to FP32.
    public static func reverting(_ reverted: [String], in base: ModelScheme, to fallback: LayerScheme?,
                                 name: String? = nil, summary: String? = nil) -> ModelScheme {
        var s = base
        if let name { s.name = name }
        if let summary { s.summary = summary }
        let layers = reverted.filter { $0 != embeddings }
        s.overrides = layers.map { LayerOverride(pattern: $0, scheme: fallback) } + base.overrides
        if reverted.contains(embeddings) { s.quantizeEmbeddings = false }
        return s
    }
}
