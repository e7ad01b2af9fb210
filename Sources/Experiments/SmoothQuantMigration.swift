import BERT
import Quantization
import TensorCore

/// SmoothQuant (`SmoothQuantSpec`) applied to an FP32 `BertModel`: which layers are smoothed, their per-channel
/// activation maxima from a calibration pass, the factors `s`, and the smoothed model.
///
/// **Which layers.** One group per LayerNorm whose output linear layers read directly
/// (`EncoderLayout.normReaders`, derived from the layout, so every family is covered without names): a block's
/// query, key and value (one `s` shared by the three, read from the embedding or the previous block's output
/// LayerNorm), the feed-forward intermediate layer (after the attention LayerNorm), and the `E → H` embedding
/// projection where a family has one after its LayerNorm (ELECTRA, ALBERT). This is what the reference smooths in
/// a transformer block (`smooth_lm`: attention input LayerNorm → q/k/v, feed-forward LayerNorm → fc1). Not
/// smoothed: the attention output projection, the feed-forward output layer (their inputs come from attention and
/// the activation function, not a LayerNorm) and the head (its dense layer reads the first position of the last
/// hidden state, its output layer the head activation). A group is smoothed when the scheme quantizes the
/// activations of at least one of its layers; a layer already in an earlier group stays there (DeBERTa-v2's shared
/// key/query projections also read the relative embeddings: their factors come from all their inputs).
///
/// **Where `1/s` goes.** Into the LayerNorm (`γ_j /= s_j`, `β_j /= s_j`, the reference's `smooth_ln_fcs`) when the
/// layout says that is exact (`NormReaders.foldable`: only the ELECTRA/ALBERT embedding projection and DeBERTa's
/// separate position projections). In every post-LayerNorm block (all families here) the LayerNorm output is also
/// the residual of the next sum, so folding would change the model; there the layers get a per-channel multiply by
/// `1/s` in front (`ChannelScaledLinear`, as Intel Neural Compressor's `SQLinearWrapper` when it cannot fold).
/// Either way the weights are `W[:, j] · s_j` and the FP32 model computes the same logits up to rounding.
///
/// **Activation maxima.** `max|X_j|` over every row the layers see in the calibration batches (padding rows
/// included, as the quantizers' own ranges), over all calls of every layer in the group, FP32 model, one thread.
public enum SmoothQuantMigration {
    /// Linear layers sharing one set of factors, after the LayerNorm `norm`.
    public struct Group: Sendable, Equatable {
        /// The LayerNorm whose output the layers read.
        public var norm: String
        /// The smoothed layers.
        public var linears: [String]
        /// Whether `1/s` is folded into the LayerNorm (else a `ChannelScaledLinear` multiply before each layer).
        public var folded: Bool
    }

    /// The groups `scheme` smooths in a model of `layout` (rules in the type comment); empty without SmoothQuant.
    public static func groups(_ scheme: ModelScheme, layout: EncoderLayout) -> [Group] {
        guard scheme.smoothQuant != nil else { return [] }
        var taken: Set<String> = []
        var out: [Group] = []
        // Block inputs first: DeBERTa-v2's relative-embedding LayerNorm also feeds the shared key/query layers,
        // which belong with their block's value.
        let readers = layout.normReaders
        let relative = layout.relative?.norm
        for r in readers.filter({ $0.norm != relative }) + readers.filter({ $0.norm == relative }) {
            let linears = r.linears.filter { !taken.contains($0) }
            guard !linears.isEmpty, linears.contains(where: { scheme.layerScheme(for: $0)?.activation != nil }) else { continue }
            taken.formUnion(linears)
            // Folding is exact only for the LayerNorm's complete set of readers.
            out.append(Group(norm: r.norm, linears: linears, folded: r.foldable && linears == r.linears))
        }
        return out
    }

    /// The factors `s [K]` of every smoothed layer (the same array for every layer of a group), from `batches` run
    /// through the FP32 `model`.
    /// - Throws: `ExperimentError.invalid` when a smoothed layer is not FP32; `BERTError` from the forward pass.
    public static func factors(_ scheme: ModelScheme, model: BertModel, batches: [BertBatch]) throws -> [String: [Float]] {
        guard let spec = scheme.smoothQuant else { return [:] }
        let groups = groups(scheme, layout: model.layout)
        let tap = ChannelMaxTap(layers: Set(groups.flatMap(\.linears)))
        for batch in batches { _ = try model.forward(batch, tap: tap) }
        var out: [String: [Float]] = [:]
        for g in groups {
            let dense = try g.linears.map { try fp32(model, $0) }
            let k = dense[0].inFeatures
            var xMax = [Float](repeating: 0, count: k), wMax = [Float](repeating: 0, count: k)
            for (name, d) in zip(g.linears, dense) {
                if let m = tap.maxima[name] { for j in 0..<k { xMax[j] = max(xMax[j], m[j]) } }
                let w = d.weight.data
                for i in 0..<d.outFeatures {
                    for j in 0..<k { wMax[j] = max(wMax[j], abs(w[i * k + j])) }
                }
            }
            let s = spec.scales(activationMax: xMax, weightMax: wMax)
            for name in g.linears { out[name] = s }
        }
        return out
    }

    /// The smoothed FP32 model: for every group of `scheme`, weights `W[:, j] · s_j` and `1/s` folded into the
    /// LayerNorm or multiplied in front of each layer (`ChannelScaledLinear`); `factors` by layer name.
    /// - Throws: `ExperimentError.invalid` when a smoothed layer has no factors (no calibration pass), factors of the
    ///   wrong length or differing within a group, or a layer that is not FP32.
    public static func apply(_ scheme: ModelScheme, factors: [String: [Float]], to model: BertModel) throws -> BertModel {
        var out = model
        for g in groups(scheme, layout: model.layout) {
            guard let s = factors[g.linears[0]] else {
                throw ExperimentError.invalid("scheme \(scheme.name) smooths \(g.linears[0]) but has no SmoothQuant factors "
                                              + "for it: run a calibration pass first")
            }
            for name in g.linears {
                let d = try fp32(model, name)
                guard factors[name] == s, s.count == d.inFeatures else {
                    throw ExperimentError.invalid("SmoothQuant factors of \(name) must be the \(d.inFeatures) factors of its group "
                                                  + "(\(g.linears.joined(separator: ", ")))")
                }
                let k = d.inFeatures
                var w = d.weight.data
                for i in 0..<d.outFeatures {
                    for j in 0..<k { w[i * k + j] *= s[j] }
                }
                let scaled = DenseLinear(weight: Tensor(shape: d.weight.shape, data: w), bias: d.bias)
                out.linears[name] = g.folded ? scaled : ChannelScaledLinear(multipliers: s.map { 1 / $0 }, inner: scaled)
            }
            if g.folded, var ln = out.layerNorms[g.norm] {
                for j in ln.gamma.indices {
                    ln.gamma[j] /= s[j]
                    ln.beta[j] /= s[j]
                }
                out.layerNorms[g.norm] = ln
            }
        }
        return out
    }

    /// `apply` with the factors recorded in `calibrations` (`Calibration.smoothing`).
    public static func apply(_ scheme: ModelScheme, calibrations: [String: Calibration], to model: BertModel) throws -> BertModel {
        try apply(scheme, factors: calibrations.compactMapValues(\.smoothing), to: model)
    }

    private static func fp32(_ model: BertModel, _ name: String) throws -> DenseLinear {
        guard let d = model.linears[name] as? DenseLinear else {
            throw ExperimentError.invalid("layer \(name) is not FP32; SmoothQuant starts from an FP32 model")
        }
        return d
    }
}

/// `max_r |x[r, j]|` of every call's input, per layer in `layers` (all rows: padding included).
private final class ChannelMaxTap: ActivationTap {
    let layers: Set<String>
    var maxima: [String: [Float]] = [:]

    init(layers: Set<String>) { self.layers = layers }

    func beginBatch(rowMask: [Float], batch: Int, seq: Int) {}
    func endBatch(logits: Tensor) {}

    func observe(_ point: TapPoint, name: String, values: UnsafeBufferPointer<Float>, rows: Int, width: Int) {
        guard point == .linearInput, layers.contains(name) else { return }
        var m = maxima[name] ?? [Float](repeating: 0, count: width)
        for r in 0..<rows {
            for j in 0..<width { m[j] = max(m[j], abs(values[r * width + j])) }
        }
        maxima[name] = m
    }
}
