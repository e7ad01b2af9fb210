/// Which linear layers read each LayerNorm's output, derived from the layout's execution order (the order
/// `BertModel.forward` runs; formulas in `EncoderLayout`). Family-agnostic: every family's file only gives the
/// names, this walk gives the data flow, so SmoothQuant-style transforms (Experiments `SmoothQuantMigration`) need
/// no family names.
///
/// Every family here is post-LayerNorm: a block's LayerNorm output `a` is both the input of the next linear
/// layers and the residual of the next sum (`x = LayerNorm(a + W2·act(W1 a))`), and the last block's output is
/// the hidden state the head reads (its first position). Only a LayerNorm whose output enters linear layers and
/// nothing else can absorb a per-channel scale into γ and β without changing the model: the embedding LayerNorm
/// before the `E → H` projection (ELECTRA, ALBERT), and DeBERTa-v2's relative-embedding LayerNorm when the
/// position projections are layers of their own (`share_att_key: false`). `foldable` says which.
extension EncoderLayout {
    /// The linear layers that read one LayerNorm's output directly (no other operation in between).
    public struct NormReaders: Sendable, Equatable {
        /// LayerNorm name (`layout.normNames`).
        public var norm: String
        /// The linear layers reading its output, each once, in execution order (`query, key, value` of a block;
        /// `intermediate`; the projection).
        public var linears: [String]
        /// True when scaling the LayerNorm's γ and β by `1/s` (per channel) and these layers' weight columns by `s`
        /// leaves the model's function unchanged: the LayerNorm's output goes to these layers only (no residual
        /// sum, no hidden state, no head), and these layers read nothing but this output.
        public var foldable: Bool
    }

    /// One entry per LayerNorm whose output some linear layer reads directly, in execution order. A LayerNorm
    /// whose output reaches a linear layer only through another operation (the head's first-position selection,
    /// the relative embeddings' bucketing) is not listed for it.
    public var normReaders: [NormReaders] {
        var order: [String] = []
        var readers: [String: [String]] = [:]
        var elsewhere: Set<String> = []          // norms whose output also goes somewhere other than a linear
        var sources: [String: Set<String>] = [:] // everything each linear reads
        let norms = Set(normNames)
        func read(_ linear: String, _ source: String) {
            sources[linear, default: []].insert(source)
            guard norms.contains(source) else { return }
            if readers[source] == nil { order.append(source); readers[source] = [] }
            if !readers[source]!.contains(linear) { readers[source]!.append(linear) }
        }
        // Embeddings: LayerNorm then projection (ELECTRA, ALBERT), projection then LayerNorm (DeBERTa), or none.
        var current: String
        if let projection {
            if projectionBeforeNorm {
                read(projection, "embeddings")
                current = embeddingNorm
            } else {
                read(projection, embeddingNorm)
                current = "projection"
            }
        } else {
            current = embeddingNorm
        }
        let relativeSource = relative.map { $0.norm ?? $0.table }
        for (i, b) in blocks.enumerated() {
            for l in [b.query, b.key, b.value] { read(l, current) }
            if let r = relative, let source = relativeSource {
                if r.contentToPosition { read(b.positionKey ?? b.key, source) }
                if r.positionToContent { read(b.positionQuery ?? b.query, source) }
            }
            read(b.attentionOutput, "context.\(i)")
            elsewhere.insert(current)             // the residual of the attention sum (and a hidden state)
            read(b.intermediate, b.attentionNorm)
            elsewhere.insert(b.attentionNorm)     // the residual of the feed-forward sum
            read(b.output, "activation.\(i)")
            current = b.outputNorm
        }
        elsewhere.insert(current)                 // the last hidden state: head (first position) and output
        read(headDense, "first-position")
        read(headOutput, "head-activation")
        return order.map { norm in
            let linears = readers[norm]!
            let onlyThis = linears.allSatisfy { sources[$0] == [norm] }
            return NormReaders(norm: norm, linears: linears, foldable: !elsewhere.contains(norm) && onlyThis)
        }
    }
}
