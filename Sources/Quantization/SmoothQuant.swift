import Foundation

/// SmoothQuant's migration of activation outliers into the weights (Xiao et al. 2022, "SmoothQuant: Accurate and
/// Efficient Post-Training Quantization for Large Language Models"), as part of a `ModelScheme` value.
///
/// For a group of linear layers reading the same input `X [rows, K]` (a block's query, key and value; a feed-forward
/// intermediate layer), one factor per input channel `j`:
///
///     s_j = max(max|X_j|^α / max(max_i |W_ij|, 1e-5)^(1−α), 1e-5)
///
/// with `max|X_j|` over a calibration pass and `max_i |W_ij|` over the rows of every weight `W [out, K]` in the
/// group; then `X ← X · diag(s)⁻¹` and `W ← W · diag(s)`, which leaves `X · Wᵀ` unchanged in exact arithmetic and
/// hands the base scheme smaller activation outliers and larger weight columns. This is
/// mit-han-lab/smoothquant `smoothquant/smooth.py` `smooth_ln_fcs` (the same two 1e-5 clamps, float32 powers);
/// `scales` computes it. Which layers are grouped and where `1/s` goes (a LayerNorm's γ and β, or a per-channel
/// multiply before the layer) is the experiment layer's job (`SmoothQuantMigration`); this value only says that
/// the migration happens and how strongly.
///
/// JSON: `{"alpha": 0.5}` under the model scheme's `smooth_quant` key.
public struct SmoothQuantSpec: Codable, Hashable, Sendable {
    /// Migration strength α in [0, 1]: 0 puts all the difficulty on the weights' side
    /// (`s_j = 1 / max|W_j|`), 1 all on the activations' (`s_j = max|X_j|`). SmoothQuant's default is 0.5.
    public var alpha: Double

    /// Migration with strength `alpha` (default 0.5, the paper's and the reference's default).
    public init(alpha: Double = 0.5) {
        self.alpha = alpha
    }

    enum CodingKeys: String, CodingKey { case alpha }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? 0.5
    }

    /// The lower clamp of `max|W_j|` and of `s_j` (the reference's `clamp(min=1e-5)`, both places).
    public static let clampMinimum: Float = 1e-5

    /// Refuses α outside [0, 1] or not finite.
    /// - Throws: `QuantizationError.invalidScheme(field: "smooth_quant.alpha", …)`.
    public func validate() throws {
        guard alpha.isFinite, (0...1).contains(alpha) else {
            throw QuantizationError.invalidScheme(field: "smooth_quant.alpha", reason: "must be in [0, 1], got \(alpha)")
        }
    }

    /// `s_j` for every input channel from `activationMax[j] = max|X_j|` (≥ 0) and `weightMax[j] = max_i |W_ij|`
    /// over the group's weights, in float32 as the reference computes it.
    /// - Precondition: both arrays have the same length.
    public func scales(activationMax: [Float], weightMax: [Float]) -> [Float] {
        precondition(activationMax.count == weightMax.count, "SmoothQuantSpec.scales: channel counts differ")
        let a = Float(alpha)
        return zip(activationMax, weightMax).map { x, w in
            let s = powf(x, a) / powf(Swift.max(w, Self.clampMinimum), 1 - a)
            return Swift.max(s, Self.clampMinimum)
        }
    }
}
