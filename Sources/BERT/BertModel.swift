import Foundation
import TensorCore

/// LayerNorm parameters `gamma`, `beta` `[hidden]`.
public struct LayerNormParams: Sendable {
    public var gamma: [Float]
    public var beta: [Float]

    public init(gamma: [Float], beta: [Float]) {
        self.gamma = gamma
        self.beta = beta
    }
}

/// Output of one forward pass.
public struct BertOutput: Sendable {
    /// `[batch, numLabels]`.
    public var logits: Tensor
    /// When requested: `layout.blocks.count + 1` tensors `[batch, seq, hidden]` (`numHiddenLayers + 1` except for
    /// ALBERT with `inner_group_num` > 1) — the embedding output, then each block's output (HF
    /// `output_hidden_states=True`).
    public var hiddenStates: [Tensor]?
}

/// An encoder sequence classifier in FP32 — BERT, RoBERTa, XLM-R, DistilBERT, ELECTRA or ALBERT (`config.modelType`;
/// the name stays `BertModel` for the code built on it): embeddings → encoder blocks → head, run from the family's
/// `EncoderLayout` (formulas there).
///
/// Mirrors the HF `…ForSequenceClassification` modules (eval mode: dropout off); each family's file names the
/// reference. Every linear layer, heads included, is a `LinearOp` looked up by its HF name, so quantized operators
/// can be swapped in (`replacingLinears`) without this module knowing about quantization. Attention, softmax,
/// activations and LayerNorm stay FP32.
public struct BertModel: Sendable {
    public let config: BertConfiguration
    /// The family's tensors and execution order (`config.layout`).
    public let layout: EncoderLayout
    /// Where the weights came from (for messages and manifests).
    public let source: String
    /// Embedding tables `[rows, E]` by name without `.weight` (`layout.tableNames`: word, position, token type).
    public var embeddingTables: [String: Tensor]
    /// LayerNorms by HF name (`layout.normNames`).
    public var layerNorms: [String: LayerNormParams]
    /// Linear layers by HF name (`layout.linearNames`).
    public var linears: [String: any LinearOp]
    /// Bits per stored embedding value: 32 for FP32 tables, less when a scheme quantizes them (size accounting).
    public var embeddingBitsPerValue: Int = 32
    /// Linear layer names in execution order, each once (ALBERT's shared layers run more than once).
    public var linearNames: [String] { layout.linearNames }
    /// Embedding table names in order (without `.weight`).
    public var embeddingNames: [String] { layout.tableNames }

    /// A model of any family from its tables (by `layout.tableNames`), LayerNorms and linear layers.
    public init(config: BertConfiguration, source: String, embeddingTables: [String: Tensor],
                layerNorms: [String: LayerNormParams], linears: [String: any LinearOp]) {
        self.config = config
        self.layout = config.layout
        self.source = source
        self.embeddingTables = embeddingTables
        self.layerNorms = layerNorms
        self.linears = linears
    }

    /// A BERT-layout model from its three tables `[vocab, hidden]`, `[maxPositions, hidden]`, `[typeVocab, hidden]`.
    public init(config: BertConfiguration, source: String, wordEmbeddings: Tensor, positionEmbeddings: Tensor,
                tokenTypeEmbeddings: Tensor, layerNorms: [String: LayerNormParams], linears: [String: any LinearOp]) {
        self.init(config: config, source: source,
                  embeddingTables: ["embeddings.word_embeddings": wordEmbeddings,
                                    "embeddings.position_embeddings": positionEmbeddings,
                                    "embeddings.token_type_embeddings": tokenTypeEmbeddings],
                  layerNorms: layerNorms, linears: linears)
    }

    /// The word table `[vocab, E]`.
    public var wordEmbeddings: Tensor {
        get { embeddingTables["embeddings.word_embeddings"]! }
        set { embeddingTables["embeddings.word_embeddings"] = newValue }
    }
    /// The position table `[max_position_embeddings, E]`.
    public var positionEmbeddings: Tensor {
        get { embeddingTables["embeddings.position_embeddings"]! }
        set { embeddingTables["embeddings.position_embeddings"] = newValue }
    }
    /// The token type table `[type_vocab, E]`; `[0, E]` for a family without one (DistilBERT).
    public var tokenTypeEmbeddings: Tensor {
        get { embeddingTables["embeddings.token_type_embeddings"] ?? Tensor(zeros: [0, layout.embeddingWidth]) }
        set {
            if layout.tokenTypes != .none { embeddingTables["embeddings.token_type_embeddings"] = newValue }
        }
    }

    /// A copy whose linear layers are `transform(name, op)`; the hook the experiment layer uses to quantize.
    public func replacingLinears(_ transform: (String, any LinearOp) throws -> any LinearOp) rethrows -> BertModel {
        var copy = self
        for name in linearNames { copy.linears[name] = try transform(name, linears[name]!) }
        return copy
    }

    /// A copy whose embedding tables are `transform(name, table)` (name without `.weight`).
    public func replacingEmbeddings(_ transform: (String, Tensor) throws -> Tensor) rethrows -> BertModel {
        var copy = self
        for name in embeddingNames { copy.embeddingTables[name] = try transform(name, embeddingTables[name]!) }
        return copy
    }

    /// Bytes of all parameters as stored by the operators (embeddings and LayerNorms in FP32); a shared layer
    /// counts once.
    public var parameterBytes: Int {
        let emb = (embeddingBitsPerValue * embeddingTables.values.reduce(0) { $0 + $1.count } + 7) / 8
        let ln = layerNorms.values.reduce(0) { $0 + 4 * ($1.gamma.count + $1.beta.count) }
        return emb + ln + linears.values.reduce(0) { $0 + $1.parameterBytes }
    }

    /// Runs the classifier on a padded batch.
    /// - Parameters:
    ///   - hiddenStates: also return the hidden states `[batch, seq, hidden]`: after the embeddings (and projection),
    ///     then after each block (`layout.blocks.count` of them).
    ///   - tap: observer of linear inputs/outputs, residual sums and hidden states (statistics, calibration). A shared ALBERT
    ///     layer is observed once per use, under its one name.
    /// - Throws: `BERTError.badInput` for token ids outside the vocabulary, token types outside `type_vocab_size`,
    ///   or sequences longer than `config.maxSequenceLength`.
    public func forward(_ input: BertBatch, hiddenStates: Bool = false, tap: (any ActivationTap)? = nil) throws -> BertOutput {
        // One thread pool: OpenBLAS single-threaded, linear layers and attention split over `Parallel`.
        try Parallel.withSingleThreadedBLAS {
            try forwardBody(input, hiddenStates: hiddenStates, tap: tap)
        }
    }

    /// `input` as the model consumes it: token types all 0 where the family ignores them (`EncoderLayout.TokenTypes`
    /// `.zeros` or `.none`), unchanged otherwise. `forward` gives the same logits for both.
    public func consumedInput(_ input: BertBatch) -> BertBatch {
        guard layout.tokenTypes != .fromBatch else { return input }
        var out = input
        out.tokenTypeIds = [Int32](repeating: 0, count: input.tokenTypeIds.count)
        return out
    }

    private func forwardBody(_ input: BertBatch, hiddenStates: Bool, tap: (any ActivationTap)?) throws -> BertOutput {
        let c = config, L = layout
        let B = input.batch, S = input.seq, H = c.hiddenSize, E = L.embeddingWidth, rows = B * S
        guard S <= c.maxSequenceLength else {
            throw BERTError.badInput("sequence length \(S) exceeds the model's limit \(c.maxSequenceLength) "
                                     + "(max_position_embeddings \(c.maxPositionEmbeddings))")
        }
        tap?.beginBatch(rowMask: input.attentionMask, batch: B, seq: S)
        var states: [Tensor] = []

        // Embeddings: word + token type + position (those the family has).  e: [rows, E]
        let positions = L.positions.ids(input.inputIds, batch: B, seq: S)
        // The intermediate tensors come from ScratchPool (no fresh tens of MB per batch); each is overwritten
        // completely before it is read, and given back at the end (value semantics keep returned copies intact).
        var e = ScratchPool.floats(rows * E)
        defer { ScratchPool.recycle(&e) }
        let word = embeddingTables["embeddings.word_embeddings"]!.data
        let pos = embeddingTables["embeddings.position_embeddings"]?.data
        let types = L.tokenTypes == .none ? nil : embeddingTables["embeddings.token_type_embeddings"]?.data
        try e.withUnsafeMutableBufferPointer { ep in
            try word.withUnsafeBufferPointer { we in
                for r in 0..<rows {
                    let id = Int(input.inputIds[r])
                    guard id >= 0 && id < c.vocabSize else {
                        throw BERTError.badInput("token id \(id) outside vocabulary of \(c.vocabSize)")
                    }
                    let dst = ep.baseAddress! + r * E, w = we.baseAddress! + id * E
                    for i in 0..<E { dst[i] = w[i] }
                    if let types {
                        let tt = L.tokenTypes == .zeros ? 0 : Int(input.tokenTypeIds[r])
                        guard tt >= 0 && tt < c.typeVocabSize else {
                            throw BERTError.badInput("token type \(tt) outside type_vocab_size \(c.typeVocabSize)")
                        }
                        types.withUnsafeBufferPointer { te in
                            let t = te.baseAddress! + tt * E
                            for i in 0..<E { dst[i] += t[i] }
                        }
                    }
                    pos?.withUnsafeBufferPointer { pe in
                        let p = pe.baseAddress! + positions[r] * E
                        for i in 0..<E { dst[i] += p[i] }
                    }
                }
            }
        }
        // LayerNorm, and the projection E → H after it (ELECTRA, ALBERT) or before it (DeBERTa).  x: [rows, H]
        var x: [Float]
        // The min/max of the next linear layers' input, measured in the pass that produced it when they use it
        // (`LinearOp.usesInputRange`); nil: they measure it themselves.
        var xRange: ValueRange? = nil
        let firstQKV = L.blocks.first.map { [$0.query, $0.key, $0.value] } ?? []
        if let projection = L.projection {
            if !L.projectionBeforeNorm { _ = e.withUnsafeMutableBufferPointer { applyLayerNorm(L.embeddingNorm, $0.baseAddress!, rows: rows) } }
            x = ScratchPool.floats(rows * H)
            runLinear(projection, e, rows: rows, into: &x, tap: tap)
            if L.projectionBeforeNorm { _ = x.withUnsafeMutableBufferPointer { applyLayerNorm(L.embeddingNorm, $0.baseAddress!, rows: rows) } }
        } else {
            xRange = e.withUnsafeMutableBufferPointer {
                applyLayerNorm(L.embeddingNorm, $0.baseAddress!, rows: rows,
                               measuring: !L.zeroPaddingEmbeddings && usesRange(firstQKV))
            }
            x = e
            e = []
        }
        defer { ScratchPool.recycle(&x) }
        if L.zeroPaddingEmbeddings {
            for r in 0..<rows where input.attentionMask[r] == 0 {
                for i in 0..<H { x[r * H + i] = 0 }
            }
        }
        if hiddenStates { states.append(Tensor(shape: [B, S, H], data: x)) }
        tap.map { t in x.withUnsafeBufferPointer { t.observe(.hiddenState, name: "embeddings", values: $0, rows: rows, width: H) } }

        // DeBERTa: the relative embeddings, LayerNorm'ed once for all blocks.  [2·span, H]
        var relative: [Float] = []
        if let r = L.relative {
            relative = embeddingTables[r.table]!.data
            if let norm = r.norm {
                _ = relative.withUnsafeMutableBufferPointer { applyLayerNorm(norm, $0.baseAddress!, rows: 2 * r.span) }
            }
        }
        var positionKey = [Float](repeating: 0, count: relative.count), positionQuery = positionKey

        var q = ScratchPool.floats(rows * H), k = ScratchPool.floats(rows * H), v = ScratchPool.floats(rows * H)
        var ctx = ScratchPool.floats(rows * H), attnOut = ScratchPool.floats(rows * H)
        var inter = ScratchPool.floats(rows * c.intermediateSize)
        defer {
            ScratchPool.recycle(&q); ScratchPool.recycle(&k); ScratchPool.recycle(&v)
            ScratchPool.recycle(&ctx); ScratchPool.recycle(&attnOut); ScratchPool.recycle(&inter)
        }
        var residualSum: [Float] = []   // `a + b` of each Add & Norm, only when a tap observes it
        for (index, (block, stateName)) in zip(L.blocks, L.stateNames).enumerated() {
            runLinear(block.query, x, rows: rows, into: &q, tap: tap, inputRange: xRange)
            runLinear(block.key, x, rows: rows, into: &k, tap: tap, inputRange: xRange)
            runLinear(block.value, x, rows: rows, into: &v, tap: tap, inputRange: xRange)
            if let r = L.relative {
                let spanRows = 2 * r.span
                if r.contentToPosition {
                    runLinear(block.positionKey ?? block.key, relative, rows: spanRows, into: &positionKey, tap: tap)
                }
                if r.positionToContent {
                    runLinear(block.positionQuery ?? block.query, relative, rows: spanRows, into: &positionQuery, tap: tap)
                }
                DisentangledAttention.run(q: q, k: k, v: v, positionKey: r.contentToPosition ? positionKey : nil,
                                          positionQuery: r.positionToContent ? positionQuery : nil, relative: r,
                                          scaleFactor: 1 + (r.contentToPosition ? 1 : 0) + (r.positionToContent ? 1 : 0),
                                          mask: input.attentionMask, batch: B, seq: S, hidden: H,
                                          heads: c.numAttentionHeads, into: &ctx)
            } else {
                attention(q: q, k: k, v: v, mask: input.attentionMask, batch: B, seq: S, into: &ctx)
            }
            runLinear(block.attentionOutput, ctx, rows: rows, into: &attnOut, tap: tap)
            observeResidualSum(block.attentionNorm, attnOut, x, rows: rows, scratch: &residualSum, tap: tap)
            let attnRange = attnOut.withUnsafeMutableBufferPointer { a in
                x.withUnsafeBufferPointer { xb in
                    applyLayerNorm(block.attentionNorm, a.baseAddress!, residual: xb.baseAddress!, rows: rows,
                                   measuring: usesRange([block.intermediate]))
                }
            }
            runLinear(block.intermediate, attnOut, rows: rows, into: &inter, tap: tap, inputRange: attnRange)
            let interRange = inter.withUnsafeMutableBufferPointer {
                activate(L.activation, $0.baseAddress!, count: $0.count, measuring: usesRange([block.output]))
            }
            if index + 1 == L.blocks.count && !hiddenStates && tap == nil,
               let op = linears[block.output], op.rowsAreIndependent, !op.usesInputRange || interRange != nil {
                // The head reads only the first position of each sequence: the last block's output layer and
                // LayerNorm run on those B rows alone (the same bits for them: `rowsAreIndependent`, with the
                // range of the whole `inter` measured above), instead of all B·S.
                lastBlockFirstRows(block, inter: inter, attnOut: attnOut, batch: B, seq: S, interRange: interRange,
                                   into: &x)
                break
            }
            runLinear(block.output, inter, rows: rows, into: &x, tap: tap, inputRange: interRange)
            observeResidualSum(block.outputNorm, x, attnOut, rows: rows, scratch: &residualSum, tap: tap)
            let next = index + 1 < L.blocks.count ? L.blocks[index + 1] : nil
            xRange = x.withUnsafeMutableBufferPointer { xb in
                attnOut.withUnsafeBufferPointer { a in
                    applyLayerNorm(block.outputNorm, xb.baseAddress!, residual: a.baseAddress!, rows: rows,
                                   measuring: next.map { usesRange([$0.query, $0.key, $0.value]) } ?? false)
                }
            }
            if hiddenStates { states.append(Tensor(shape: [B, S, H], data: x)) }
            tap.map { t in x.withUnsafeBufferPointer { t.observe(.hiddenState, name: stateName, values: $0, rows: rows, width: H) } }
        }

        // Head on the first position of each sequence: dense → activation → output.
        var cls = [Float](repeating: 0, count: B * H)
        for b in 0..<B {
            for i in 0..<H { cls[b * H + i] = x[b * S * H + i] }
        }
        var pooled = [Float](repeating: 0, count: B * H)
        runLinear(L.headDense, cls, rows: B, into: &pooled, tap: tap)
        _ = pooled.withUnsafeMutableBufferPointer { activate(L.headActivation, $0.baseAddress!, count: $0.count) }
        var logits = [Float](repeating: 0, count: B * c.numLabels)
        runLinear(L.headOutput, pooled, rows: B, into: &logits, tap: tap)
        let out = Tensor(shape: [B, c.numLabels], data: logits)
        tap?.endBatch(logits: out)
        return BertOutput(logits: out, hiddenStates: hiddenStates ? states : nil)
    }

    /// Row `b·S` of `x` (the head's input) for every sequence `b` from the last block's FFN output layer and
    /// Add & Norm run on those rows only: `x[b·S] = LayerNorm(output(inter[b·S]) + attnOut[b·S])`, with `interRange`
    /// the range of all of `inter` `[B·S, I]`. The other rows of `x` are left as they were (nothing reads them).
    private func lastBlockFirstRows(_ block: EncoderLayout.Block, inter: [Float], attnOut: [Float], batch B: Int,
                                    seq S: Int, interRange: ValueRange?, into x: inout [Float]) {
        let H = config.hiddenSize, I = linears[block.output]!.inFeatures
        var firstInter = [Float](repeating: 0, count: B * I), firstAttn = [Float](repeating: 0, count: B * H)
        for b in 0..<B {
            for i in 0..<I { firstInter[b * I + i] = inter[b * S * I + i] }
            for i in 0..<H { firstAttn[b * H + i] = attnOut[b * S * H + i] }
        }
        var y = [Float](repeating: 0, count: B * H)
        runLinear(block.output, firstInter, rows: B, into: &y, tap: nil, inputRange: interRange)
        y.withUnsafeMutableBufferPointer { yb in
            firstAttn.withUnsafeBufferPointer { a in
                _ = applyLayerNorm(block.outputNorm, yb.baseAddress!, residual: a.baseAddress!, rows: B)
            }
        }
        for b in 0..<B {
            for i in 0..<H { x[b * S * H + i] = y[b * H + i] }
        }
    }

    /// Whether any of these linear layers uses a measured input range (`LinearOp.usesInputRange`).
    private func usesRange(_ names: [String]) -> Bool {
        names.contains { linears[$0]?.usesInputRange ?? false }
    }

    private func runLinear(_ name: String, _ x: [Float], rows: Int, into y: inout [Float], tap: (any ActivationTap)?,
                           inputRange: ValueRange? = nil) {
        let op = linears[name]!
        x.withUnsafeBufferPointer { xp in
            tap?.observe(.linearInput, name: name, values: UnsafeBufferPointer(rebasing: xp[0..<(rows * op.inFeatures)]),
                         rows: rows, width: op.inFeatures)
            y.withUnsafeMutableBufferPointer { yp in
                op.forward(xp.baseAddress!, rows: rows, inputRange: inputRange, into: yp.baseAddress!)
                tap?.observe(.linearOutput, name: name,
                             values: UnsafeBufferPointer(rebasing: yp[0..<(rows * op.outFeatures)]),
                             rows: rows, width: op.outFeatures)
            }
        }
    }

    /// Shows a tap the residual sum `a + b` `[rows, H]` that LayerNorm `norm` is about to normalise. The sum is
    /// computed into `scratch` for the tap only (the LayerNorm kernel adds again, so logits are the same with and
    /// without a tap); nothing is computed without a tap.
    private func observeResidualSum(_ norm: String, _ a: [Float], _ b: [Float], rows: Int, scratch: inout [Float],
                                    tap: (any ActivationTap)?) {
        guard let tap else { return }
        let n = rows * config.hiddenSize
        if scratch.count < n { scratch = [Float](repeating: 0, count: n) }
        for i in 0..<n { scratch[i] = a[i] + b[i] }
        scratch.withUnsafeBufferPointer {
            tap.observe(.residualSum, name: norm, values: UnsafeBufferPointer(rebasing: $0[0..<n]), rows: rows,
                        width: config.hiddenSize)
        }
    }

    /// `x = LayerNorm(x + residual)` in place (`residual` nil: plain LayerNorm); with `measuring`, returns the
    /// output's `ValueRange`, measured in the same pass.
    @discardableResult
    private func applyLayerNorm(_ name: String, _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil,
                                rows: Int, measuring: Bool = false) -> ValueRange? {
        let ln = layerNorms[name]!
        return ln.gamma.withUnsafeBufferPointer { g in
            ln.beta.withUnsafeBufferPointer { b in
                Elementwise.addLayerNorm(x, residual: residual, rows: rows, width: ln.gamma.count,
                                         gamma: g.baseAddress!, beta: b.baseAddress!, eps: config.layerNormEps,
                                         measuringRange: measuring)
            }
        }
    }

    /// The activation in place; with `measuring`, the output's `ValueRange` (measured in the same pass for the
    /// exact GELU, in a pass of its own for the others).
    @discardableResult
    private func activate(_ f: EncoderLayout.Activation, _ x: UnsafeMutablePointer<Float>, count: Int,
                          measuring: Bool = false) -> ValueRange? {
        switch f {
        case .geluErf: return Elementwise.geluErf(x, count: count, measuringRange: measuring)
        case .geluTanh: Elementwise.geluTanh(x, count: count)
        case .relu: Elementwise.relu(x, count: count)
        case .tanh: Elementwise.tanh(x, count: count)
        }
        return measuring ? ValueRange.measure(x, count: count) : nil
    }

    /// Multi-head scaled dot-product attention, FP32.
    /// `q, k, v, ctx`: `[batch·seq, hidden]`, head `h` in columns `h·d ..< (h+1)·d`.
    /// `ctx_bh = softmax(Q_bh K_bhᵀ / √d + mask_b) · V_bh`, per (batch, head) in one fused kernel
    /// (`FusedAttention.head`, qb_attention.h): scores of a block of query rows in a per-worker scratch, each score
    /// and each context element one FMA chain in order (exactly `Gemm.sgemm`'s `reproducible` definition), the
    /// softmax of `Numerics.mode` in between. Under `reproducible` that is bit-identical with the former
    /// sgemm → `maskedSoftmax` → sgemm composition; under `fast` too except that the matmuls no longer go to
    /// OpenBLAS (same logits for every kernel family sharing a softmax kernel).
    ///
    /// Keys after the last kept position of sequence `b` (right padding) get probability exactly 0, so they are
    /// left out of both products: `L_b` keys instead of `S` (results bit-identical to using all `S`). Every query
    /// row, padding included, is still computed (its output feeds the next layer, and the per-call activation
    /// ranges of dynamic quantization).
    private func attention(q: [Float], k: [Float], v: [Float], mask: [Float], batch B: Int, seq S: Int,
                           into ctx: inout [Float]) {
        let H = config.hiddenSize, nh = config.numAttentionHeads, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let workers = Parallel.threads
        let perWorker = FusedAttention.scratchCount(keys: S, headDim: d) // enough for every L_b ≤ S
        var scratch = ScratchPool.floats(workers * perWorker) // contents ignored by the kernel
        defer { ScratchPool.recycle(&scratch) }
        // Keys per sequence: 1 + the last position with a non-zero mask, rounded up to a multiple of 8 (at most S;
        // S when nothing is kept, so an all-padding row behaves as before). Rounding keeps the fast softmax's
        // 8-lane sums and its scalar tail exactly as over all S columns, so the probabilities are bit-identical; the
        // keys dropped are masked ones, whose probability is 0 and whose V rows add nothing.
        let keyCount = (0..<B).map { b -> Int in
            var last = S
            while last > 0 && mask[b * S + last - 1] == 0 { last -= 1 }
            return last == 0 ? S : min(S, (last + 7) / 8 * 8)
        }
        q.withUnsafeBufferPointer { qp in
        k.withUnsafeBufferPointer { kp in
        v.withUnsafeBufferPointer { vp in
        mask.withUnsafeBufferPointer { mp in
        ctx.withUnsafeMutableBufferPointer { cp in
        scratch.withUnsafeMutableBufferPointer { sp in
            let qb = qp.baseAddress!, kb = kp.baseAddress!, vb = vp.baseAddress!, mb = mp.baseAddress!
            let cb = cp.baseAddress!, sb = sp.baseAddress!
            Parallel.forWorkerChunks(B * nh) { worker, range in
                for job in range {
                    let b = job / nh, h = job % nh
                    let off = b * S * H + h * d
                    FusedAttention.head(rows: S, keys: keyCount[b], headDim: d, q: qb + off, k: kb + off,
                                        v: vb + off, stride: H, keep: mb + b * S, scale: scale, into: cb + off,
                                        scratch: sb + worker * perWorker)
                }
            }
        }}}}}}
    }
}
