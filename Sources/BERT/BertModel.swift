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
    /// When requested: `numHiddenLayers + 1` tensors `[batch, seq, hidden]` — the embedding output, then each
    /// encoder layer's output (HF `output_hidden_states=True`).
    public var hiddenStates: [Tensor]?
}

/// `BertForSequenceClassification` in FP32: embeddings → N encoder layers → tanh pooler → classifier.
///
/// Mirrors HF `transformers/models/bert/modeling_bert.py` (eval mode: dropout off). Every linear layer is a
/// `LinearOp` looked up by its HF name, so quantized operators can be swapped in (`replacingLinears`) without
/// this module knowing about quantization. Attention, softmax, GELU and LayerNorm stay FP32.
public struct BertModel: Sendable {
    public let config: BertConfiguration
    /// Where the weights came from (for messages and manifests).
    public let source: String
    /// `[vocab, hidden]`, `[maxPositions, hidden]`, `[typeVocab, hidden]`.
    public var wordEmbeddings: Tensor
    public var positionEmbeddings: Tensor
    public var tokenTypeEmbeddings: Tensor
    /// LayerNorms by HF name (`BertWeightNames.layerNorms`).
    public var layerNorms: [String: LayerNormParams]
    /// Linear layers by HF name (`BertWeightNames.linearLayers`).
    public var linears: [String: any LinearOp]
    /// Bits per stored embedding value: 32 for FP32 tables, less when a scheme quantizes them (size accounting).
    public var embeddingBitsPerValue: Int = 32
    /// Linear layer names in execution order.
    public var linearNames: [String] { BertWeightNames.linearLayers(layers: config.numHiddenLayers) }

    public init(config: BertConfiguration, source: String, wordEmbeddings: Tensor, positionEmbeddings: Tensor,
                tokenTypeEmbeddings: Tensor, layerNorms: [String: LayerNormParams], linears: [String: any LinearOp]) {
        self.config = config
        self.source = source
        self.wordEmbeddings = wordEmbeddings
        self.positionEmbeddings = positionEmbeddings
        self.tokenTypeEmbeddings = tokenTypeEmbeddings
        self.layerNorms = layerNorms
        self.linears = linears
    }

    /// A copy whose linear layers are `transform(name, op)`; the hook the experiment layer uses to quantize.
    public func replacingLinears(_ transform: (String, any LinearOp) throws -> any LinearOp) rethrows -> BertModel {
        var copy = self
        for name in linearNames { copy.linears[name] = try transform(name, linears[name]!) }
        return copy
    }

    /// Bytes of all parameters as stored by the operators (embeddings and LayerNorms in FP32).
    public var parameterBytes: Int {
        let emb = (embeddingBitsPerValue * (wordEmbeddings.count + positionEmbeddings.count
                                            + tokenTypeEmbeddings.count) + 7) / 8
        let ln = layerNorms.values.reduce(0) { $0 + 4 * ($1.gamma.count + $1.beta.count) }
        return emb + ln + linears.values.reduce(0) { $0 + $1.parameterBytes }
    }

    /// Runs the classifier on a padded batch.
    /// - Parameters:
    ///   - hiddenStates: also return the `numHiddenLayers + 1` hidden states `[batch, seq, hidden]`.
    ///   - tap: observer of linear inputs/outputs and hidden states (statistics, calibration).
    /// - Throws: `BERTError.badInput` for token ids outside the vocabulary or sequences longer than
    ///   `max_position_embeddings`.
    public func forward(_ input: BertBatch, hiddenStates: Bool = false, tap: (any ActivationTap)? = nil) throws -> BertOutput {
        // One thread pool: OpenBLAS single-threaded, linear layers and attention split over `Parallel`.
        try Parallel.withSingleThreadedBLAS {
            try forwardBody(input, hiddenStates: hiddenStates, tap: tap)
        }
    }

    private func forwardBody(_ input: BertBatch, hiddenStates: Bool, tap: (any ActivationTap)?) throws -> BertOutput {
        let c = config
        let B = input.batch, S = input.seq, H = c.hiddenSize, rows = B * S
        guard S <= c.maxPositionEmbeddings else {
            throw BERTError.badInput("sequence length \(S) exceeds max_position_embeddings \(c.maxPositionEmbeddings)")
        }
        tap?.beginBatch(rowMask: input.attentionMask, batch: B, seq: S)
        var states: [Tensor] = []

        // Embeddings: word + position + token type, then LayerNorm.  x: [rows, H]
        var x = [Float](repeating: 0, count: rows * H)
        try x.withUnsafeMutableBufferPointer { xp in
            try wordEmbeddings.data.withUnsafeBufferPointer { we in
                try positionEmbeddings.data.withUnsafeBufferPointer { pe in
                    try tokenTypeEmbeddings.data.withUnsafeBufferPointer { te in
                        for b in 0..<B {
                            for s in 0..<S {
                                let r = b * S + s
                                let id = Int(input.inputIds[r]), tt = Int(input.tokenTypeIds[r])
                                guard id >= 0 && id < c.vocabSize else {
                                    throw BERTError.badInput("token id \(id) outside vocabulary of \(c.vocabSize)")
                                }
                                guard tt >= 0 && tt < c.typeVocabSize else {
                                    throw BERTError.badInput("token type \(tt) outside type_vocab_size \(c.typeVocabSize)")
                                }
                                let dst = xp.baseAddress! + r * H
                                let w = we.baseAddress! + id * H, p = pe.baseAddress! + s * H, t = te.baseAddress! + tt * H
                                for i in 0..<H { dst[i] = (w[i] + t[i]) + p[i] }
                            }
                        }
                    }
                }
            }
            applyLayerNorm("embeddings.LayerNorm", xp.baseAddress!, rows: rows)
        }
        if hiddenStates { states.append(Tensor(shape: [B, S, H], data: x)) }
        tap.map { t in x.withUnsafeBufferPointer { t.observe(.hiddenState, name: "embeddings", values: $0, rows: rows, width: H) } }

        var q = [Float](repeating: 0, count: rows * H)
        var k = q, v = q, ctx = q, attnOut = q
        var inter = [Float](repeating: 0, count: rows * c.intermediateSize)
        for l in 0..<c.numHiddenLayers {
            let p = "encoder.layer.\(l)"
            runLinear("\(p).attention.self.query", x, rows: rows, into: &q, tap: tap)
            runLinear("\(p).attention.self.key", x, rows: rows, into: &k, tap: tap)
            runLinear("\(p).attention.self.value", x, rows: rows, into: &v, tap: tap)
            attention(q: q, k: k, v: v, mask: input.attentionMask, batch: B, seq: S, into: &ctx)
            runLinear("\(p).attention.output.dense", ctx, rows: rows, into: &attnOut, tap: tap)
            attnOut.withUnsafeMutableBufferPointer { a in
                x.withUnsafeBufferPointer { xb in
                    applyLayerNorm("\(p).attention.output.LayerNorm", a.baseAddress!, residual: xb.baseAddress!, rows: rows)
                }
            }
            runLinear("\(p).intermediate.dense", attnOut, rows: rows, into: &inter, tap: tap)
            inter.withUnsafeMutableBufferPointer { activation($0.baseAddress!, count: $0.count) }
            runLinear("\(p).output.dense", inter, rows: rows, into: &x, tap: tap)
            x.withUnsafeMutableBufferPointer { xb in
                attnOut.withUnsafeBufferPointer { a in
                    applyLayerNorm("\(p).output.LayerNorm", xb.baseAddress!, residual: a.baseAddress!, rows: rows)
                }
            }
            if hiddenStates { states.append(Tensor(shape: [B, S, H], data: x)) }
            tap.map { t in x.withUnsafeBufferPointer { t.observe(.hiddenState, name: p, values: $0, rows: rows, width: H) } }
        }

        // Pooler on the [CLS] position of each sequence, then the classifier.
        var cls = [Float](repeating: 0, count: B * H)
        for b in 0..<B {
            for i in 0..<H { cls[b * H + i] = x[b * S * H + i] }
        }
        var pooled = [Float](repeating: 0, count: B * H)
        runLinear("pooler.dense", cls, rows: B, into: &pooled, tap: tap)
        pooled.withUnsafeMutableBufferPointer { Elementwise.tanh($0.baseAddress!, count: $0.count) }
        var logits = [Float](repeating: 0, count: B * c.numLabels)
        runLinear("classifier", pooled, rows: B, into: &logits, tap: tap)
        let out = Tensor(shape: [B, c.numLabels], data: logits)
        tap?.endBatch(logits: out)
        return BertOutput(logits: out, hiddenStates: hiddenStates ? states : nil)
    }

    private func runLinear(_ name: String, _ x: [Float], rows: Int, into y: inout [Float], tap: (any ActivationTap)?) {
        let op = linears[name]!
        x.withUnsafeBufferPointer { xp in
            tap?.observe(.linearInput, name: name, values: UnsafeBufferPointer(rebasing: xp[0..<(rows * op.inFeatures)]),
                         rows: rows, width: op.inFeatures)
            y.withUnsafeMutableBufferPointer { yp in
                op.forward(xp.baseAddress!, rows: rows, into: yp.baseAddress!)
                tap?.observe(.linearOutput, name: name,
                             values: UnsafeBufferPointer(rebasing: yp[0..<(rows * op.outFeatures)]),
                             rows: rows, width: op.outFeatures)
            }
        }
    }

    /// `x = LayerNorm(x + residual)` in place (`residual` nil: plain LayerNorm).
    private func applyLayerNorm(_ name: String, _ x: UnsafeMutablePointer<Float>, residual: UnsafePointer<Float>? = nil,
                                rows: Int) {
        let ln = layerNorms[name]!
        ln.gamma.withUnsafeBufferPointer { g in
            ln.beta.withUnsafeBufferPointer { b in
                Elementwise.addLayerNorm(x, residual: residual, rows: rows, width: config.hiddenSize,
                                         gamma: g.baseAddress!, beta: b.baseAddress!, eps: config.layerNormEps)
            }
        }
    }

    private func activation(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch config.hiddenAct {
        case "gelu_new", "gelu_pytorch_tanh": Elementwise.geluTanh(x, count: count)
        case "relu": Elementwise.relu(x, count: count)
        default: Elementwise.geluErf(x, count: count)
        }
    }

    /// Multi-head scaled dot-product attention, FP32.
    /// `q, k, v, ctx`: `[batch·seq, hidden]`, head `h` in columns `h·d ..< (h+1)·d`.
    /// `ctx_bh = softmax(Q_bh K_bhᵀ / √d + mask_b) · V_bh`, computed per (batch, head) with two sgemms.
    ///
    /// Keys after the last kept position of sequence `b` (right padding) get probability exactly 0, so they are
    /// left out of both sgemms: `L_b` key columns instead of `S` (results bit-identical to using all `S`). Every query row, padding included, is still
    /// computed (its output feeds the next layer, and the per-call activation ranges of dynamic quantization).
    private func attention(q: [Float], k: [Float], v: [Float], mask: [Float], batch B: Int, seq S: Int,
                           into ctx: inout [Float]) {
        let H = config.hiddenSize, nh = config.numAttentionHeads, d = config.headDim
        let scale = 1 / Float(d).squareRoot()
        let workers = Parallel.threads   // OpenBLAS is single-threaded here (forward's withSingleThreadedBLAS)
        var scratch = [Float](repeating: 0, count: workers * S * S)
        // Key columns per sequence: 1 + the last position with a non-zero mask, rounded up to a multiple of 8 (at
        // most S; S when nothing is kept, so an all-padding row behaves as before). Rounding keeps the softmax's
        // 8-lane sums and its scalar tail exactly as over all S columns, so the probabilities are bit-identical; the
        // columns dropped are masked ones, whose probability is 0 and whose V rows add nothing.
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
                let scores = sb + worker * S * S
                for job in range {
                    let b = job / nh, h = job % nh, L = keyCount[b]
                    // OpenBLAS (0.3.21, Zen/Haswell sgemm, one thread) computes the last 8 columns of a QKᵀ
                    // narrower than S in another order than the full-width product: compute 8 more (masked)
                    // columns than are used, so the L used ones are the full-width values bit for bit.
                    let N = min(S, L + 8)
                    let off = b * S * H + h * d
                    Gemm.sgemm(transB: true, m: S, n: N, k: d, a: qb + off, lda: H, b: kb + off, ldb: H,
                               c: scores, ldc: N)
                    for i in 0..<S {
                        Elementwise.maskedSoftmax(scores + i * N, width: L, scale: scale, keep: mb + b * S)
                    }
                    Gemm.sgemm(m: S, n: d, k: L, a: scores, lda: N, b: vb + off, ldb: H, c: cb + off, ldc: H)
                }
            }
        }}}}}}
    }
}
