import BERT
import TensorCore

/// How a forward pass runs.
public enum ForwardMode: Sendable, Equatable {
    /// Dropout off (HF `model.eval()`).
    case eval
    /// Dropout on, masks drawn from `seed` (one seed per optimizer step).
    case train(seed: UInt64)
}

/// One forward pass: the logits and every activation the backward pass needs.
public struct ForwardPass<T: TrainingScalar> {
    /// `[batch, numLabels]`.
    public let logits: [T]
    public let batch: Int
    public let seq: Int
    let mode: ForwardMode
    let inputIds: [Int32]
    /// The token types the model consumed (nil for a family without a table).
    let tokenTypeIds: [Int32]?
    /// Position id of every entry (`EncoderLayout.Positions.ids`).
    let positionIds: [Int]
    let embeddingNorm: LayerNormUnit<T>.Cache
    let embeddingDropout: DropoutMask?
    let layers: [LayerCache]
    /// Dropout on the first position's vector before `headDense` (RoBERTa), if any.
    let headInputDropout: DropoutMask?
    let headDense: LinearUnit<T>.Cache
    /// `headDense` output before and after the head activation.
    let headPreActivation: [T]
    let pooled: [T]
    let pooledDropout: DropoutMask?
    let headOutput: LinearUnit<T>.Cache

    struct LayerCache {
        var query, key, value: LinearUnit<T>.Cache
        var q, k, v: [T]
        var probs: [T]
        var dropped: [T]?
        var attentionOutput: LinearUnit<T>.Cache
        var attentionDropout: DropoutMask?
        var attentionNorm: LayerNormUnit<T>.Cache
        var intermediate: LinearUnit<T>.Cache
        var preActivation: [T]
        var output: LinearUnit<T>.Cache
        var outputDropout: DropoutMask?
        var outputNorm: LayerNormUnit<T>.Cache
    }
}

extension TrainableBert {
    /// Runs the classifier on a padded batch and keeps what `backward` needs.
    /// - Throws: `TrainingError.badModel` for token ids outside the vocabulary or sequences longer than
    ///   `max_position_embeddings`.
    @_specialize(where T == Float)
    public func forward(_ input: BertBatch, mode: ForwardMode) throws -> ForwardPass<T> {
        let c = config, L = layout
        let B = input.batch, S = input.seq, H = c.hiddenSize, rows = B * S
        guard S <= c.maxSequenceLength else {
            throw TrainingError.badModel(path: "batch", reason: "sequence length \(S) exceeds the model's limit "
                                         + "\(c.maxSequenceLength) (max_position_embeddings \(c.maxPositionEmbeddings))")
        }
        // Token types as the family consumes them (`EncoderLayout.TokenTypes`), and its position ids.
        let types: [Int32]?
        switch L.tokenTypes {
        case .fromBatch: types = input.tokenTypeIds
        case .zeros: types = [Int32](repeating: 0, count: rows)
        case .none: types = nil
        }
        let positions = L.positions.ids(input.inputIds, batch: B, seq: S)
        for r in 0..<rows {
            guard input.inputIds[r] >= 0 && Int(input.inputIds[r]) < c.vocabSize,
                  types.map({ $0[r] >= 0 && Int($0[r]) < c.typeVocabSize }) ?? true else {
                throw TrainingError.badModel(path: "batch", reason: "token id \(input.inputIds[r]) / type \(types?[r] ?? 0) outside the vocabulary")
            }
        }
        let train: UInt64?
        if case let .train(seed) = mode { train = seed } else { train = nil }
        let observe = train != nil
        var site: UInt64 = 0
        func dropout(_ x: inout [T], p: Double) -> DropoutMask? {
            site += 1
            guard let seed = train, p > 0 else { return nil }
            let m = DropoutMask(count: x.count, p: p, seed: SeedMixer.derive(seed, site))
            x.withUnsafeMutableBufferPointer { m.apply($0.baseAddress!) }
            return m
        }

        var emb = [T](repeating: 0, count: rows * H)
        // Under QAT with quantized embeddings, lookups read the fake-quantized tables (gradients pass straight
        // through to the FP32 tables).
        let values = tables.map { p in
            embeddingQuantization.map { fakeQuantizedTable(p, scheme: $0) } ?? p.value
        }
        values[0].withUnsafeBufferPointer { w in
            values[1].withUnsafeBufferPointer { p in
                emb.withUnsafeMutableBufferPointer { e in
                    func run(_ t: UnsafePointer<T>?) {
                        EmbeddingGrad.forward(ids: input.inputIds, types: types, positions: positions, batch: B, seq: S,
                                              hidden: H, word: w.baseAddress!, position: p.baseAddress!, tokenType: t,
                                              out: e.baseAddress!)
                    }
                    if types != nil { values[2].withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                }
            }
        }
        var (x, embNorm) = embeddingNorm.forward(emb, rows: rows)
        let embDrop = dropout(&x, p: hiddenDropout)

        let keep = input.attentionMask.map { T($0) }
        let shape = AttentionShape(batch: B, seq: S, heads: c.numAttentionHeads, headDim: c.headDim)
        var caches: [ForwardPass<T>.LayerCache] = []
        caches.reserveCapacity(layers.count)
        for layer in layers {
            let (q, qc) = layer.query.forward(x, rows: rows, observe: observe)
            let (k, kc) = layer.key.forward(x, rows: rows, observe: observe)
            let (v, vc) = layer.value.forward(x, rows: rows, observe: observe)
            var probs = [T](repeating: 0, count: shape.probabilityCount)
            var dropped: [T]? = nil
            var ctx = [T](repeating: 0, count: rows * H)
            site += 1
            let attnSeed: (p: Double, seed: UInt64)? = train.flatMap {
                attentionDropout > 0 ? (attentionDropout, SeedMixer.derive($0, site)) : nil
            }
            if attnSeed != nil { dropped = [T](repeating: 0, count: shape.probabilityCount) }
            q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
            v.withUnsafeBufferPointer { vp in
            keep.withUnsafeBufferPointer { mp in
            probs.withUnsafeMutableBufferPointer { pp in
            ctx.withUnsafeMutableBufferPointer { cp in
                if dropped != nil {
                    dropped!.withUnsafeMutableBufferPointer { dp in
                        AttentionGrad.forward(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                                              keep: mp.baseAddress!, shape: shape, dropout: attnSeed,
                                              probs: pp.baseAddress!, dropped: dp.baseAddress!, ctx: cp.baseAddress!)
                    }
                } else {
                    AttentionGrad.forward(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                                          keep: mp.baseAddress!, shape: shape, dropout: nil,
                                          probs: pp.baseAddress!, dropped: nil, ctx: cp.baseAddress!)
                }
            }}}}}}
            var (a, ac) = layer.attentionOutput.forward(ctx, rows: rows, observe: observe)
            let aDrop = dropout(&a, p: L.dropout.afterAttentionOutput ? hiddenDropout : 0)
            add(&a, x)
            let (h1, n1) = layer.attentionNorm.forward(a, rows: rows)
            let (pre, ic) = layer.intermediate.forward(h1, rows: rows, observe: observe)
            var act = [T](repeating: 0, count: pre.count)
            pre.withUnsafeBufferPointer { p in
                act.withUnsafeMutableBufferPointer { ActivationGrad.apply(L.activation, p.baseAddress!, count: p.count, y: $0.baseAddress!) }
            }
            var (o, oc) = layer.output.forward(act, rows: rows, observe: observe)
            let oDrop = dropout(&o, p: hiddenDropout)
            add(&o, h1)
            let (out, n2) = layer.outputNorm.forward(o, rows: rows)
            x = out
            caches.append(.init(query: qc, key: kc, value: vc, q: q, k: k, v: v, probs: probs, dropped: dropped,
                                attentionOutput: ac, attentionDropout: aDrop, attentionNorm: n1, intermediate: ic,
                                preActivation: pre, output: oc, outputDropout: oDrop, outputNorm: n2))
        }

        // Head on the first position: headOutput(dropout(act(headDense(dropout?(x[:, 0]))))).
        var cls = [T](repeating: 0, count: B * H)
        for b in 0..<B {
            for i in 0..<H { cls[b * H + i] = x[b * S * H + i] }
        }
        let headP = classifierDropout ?? hiddenDropout
        // Only a family with this site counts it, so BERT's dropout masks are unchanged by it.
        let inDrop = L.dropout.beforeHeadDense ? dropout(&cls, p: headP) : nil
        let (pre, dc) = headDense.forward(cls, rows: B, observe: observe)
        var pooled = [T](repeating: 0, count: B * H)
        pre.withUnsafeBufferPointer { p in
            pooled.withUnsafeMutableBufferPointer { ActivationGrad.apply(L.headActivation, p.baseAddress!, count: p.count, y: $0.baseAddress!) }
        }
        var pooledIn = pooled
        let pDrop = dropout(&pooledIn, p: headP)
        let (logits, oc) = headOutput.forward(pooledIn, rows: B, observe: observe)
        return ForwardPass(logits: logits, batch: B, seq: S, mode: mode, inputIds: input.inputIds,
                           tokenTypeIds: types, positionIds: positions, embeddingNorm: embNorm, embeddingDropout: embDrop,
                           layers: caches, headInputDropout: inDrop, headDense: dc, headPreActivation: pre,
                           pooled: pooled, pooledDropout: pDrop, headOutput: oc)
    }
}

/// `x += y` element-wise.
func add<T: TrainingScalar>(_ x: inout [T], _ y: [T]) {
    precondition(x.count == y.count)
    x.withUnsafeMutableBufferPointer { xp in
        y.withUnsafeBufferPointer { yp in
            for i in 0..<xp.count { xp[i] += yp[i] }
        }
    }
}
