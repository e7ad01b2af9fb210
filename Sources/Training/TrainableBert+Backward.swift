import TensorCore

extension TrainableBert {
    /// Mean cross-entropy of `pass` against `labels`, and its gradient accumulated into every `Parameter.grad`.
    /// - Returns: the loss.
    @_specialize(where T == Float)
    @discardableResult
    public func backward(_ pass: ForwardPass<T>, labels: [Int]) -> Double {
        precondition(labels.count == pass.batch, "backward: \(labels.count) labels for a batch of \(pass.batch)")
        var dLogits = [T](repeating: 0, count: pass.logits.count)
        let loss = pass.logits.withUnsafeBufferPointer { z in
            dLogits.withUnsafeMutableBufferPointer { d in
                CrossEntropy.lossAndGradient(logits: z.baseAddress!, labels: labels, classes: config.numLabels,
                                             dLogits: d.baseAddress!)
            }
        }
        backward(pass, dLogits: dLogits)
        return loss
    }

    /// Back-propagates `dLogits` `[batch, numLabels]` through the whole classifier, accumulating parameter gradients.
    @_specialize(where T == Float)
    public func backward(_ pass: ForwardPass<T>, dLogits: [T]) {
        let c = config, L = layout
        let B = pass.batch, S = pass.seq, H = c.hiddenSize, rows = B * S
        // Head: logits = headOutput(dropout(act(headDense(dropout?(x[:, 0]))))).
        var dPooled = headOutput.backward(pass.headOutput, dy: dLogits)!
        if let m = pass.pooledDropout { dPooled.withUnsafeMutableBufferPointer { m.apply($0.baseAddress!) } }
        pass.headPreActivation.withUnsafeBufferPointer { x in
            pass.pooled.withUnsafeBufferPointer { y in
                dPooled.withUnsafeMutableBufferPointer { d in
                    ActivationGrad.backward(L.headActivation, dy: d.baseAddress!, x: x.baseAddress!, y: y.baseAddress!,
                                            count: d.count, dx: d.baseAddress!)
                }
            }
        }
        var dCls = headDense.backward(pass.headDense, dy: dPooled)!
        if let m = pass.headInputDropout { dCls.withUnsafeMutableBufferPointer { m.apply($0.baseAddress!) } }
        var dx = [T](repeating: 0, count: rows * H)
        for b in 0..<B {
            for i in 0..<H { dx[b * S * H + i] = dCls[b * H + i] }
        }

        let shape = AttentionShape(batch: B, seq: S, heads: c.numAttentionHeads, headDim: c.headDim)
        for (layer, cache) in zip(layers, pass.layers).reversed() {
            // x_out = LN2(dropout(output(gelu(intermediate(h1)))) + h1)
            let dO = layer.outputNorm.backward(cache.outputNorm, dy: dx, rows: rows)
            var dh1 = dO
            var dOut = dO
            if let m = cache.outputDropout { dOut.withUnsafeMutableBufferPointer { m.apply($0.baseAddress!) } }
            var dAct = layer.output.backward(cache.output, dy: dOut)!
            cache.preActivation.withUnsafeBufferPointer { x in
                dAct.withUnsafeMutableBufferPointer { d in
                    // The block activations (GELU, ReLU) need only their input.
                    ActivationGrad.backward(L.activation, dy: d.baseAddress!, x: x.baseAddress!, y: x.baseAddress!,
                                            count: d.count, dx: d.baseAddress!)
                }
            }
            add(&dh1, layer.intermediate.backward(cache.intermediate, dy: dAct)!)
            // h1 = LN1(dropout(attention.output(ctx)) + x_in)
            let dA = layer.attentionNorm.backward(cache.attentionNorm, dy: dh1, rows: rows)
            var dxIn = dA
            var dAttn = dA
            if let m = cache.attentionDropout { dAttn.withUnsafeMutableBufferPointer { m.apply($0.baseAddress!) } }
            let dCtx = layer.attentionOutput.backward(cache.attentionOutput, dy: dAttn)!
            var dq = [T](repeating: 0, count: rows * H), dk = dq, dv = dq
            dCtx.withUnsafeBufferPointer { dc in
            cache.q.withUnsafeBufferPointer { q in
            cache.k.withUnsafeBufferPointer { k in
            cache.v.withUnsafeBufferPointer { v in
            cache.probs.withUnsafeBufferPointer { p in
            dq.withUnsafeMutableBufferPointer { dqp in
            dk.withUnsafeMutableBufferPointer { dkp in
            dv.withUnsafeMutableBufferPointer { dvp in
                func run(_ dropped: UnsafePointer<T>?) {
                    AttentionGrad.backward(dctx: dc.baseAddress!, q: q.baseAddress!, k: k.baseAddress!, v: v.baseAddress!,
                                           probs: p.baseAddress!, dropped: dropped, dropoutP: attentionDropout,
                                           shape: shape, dq: dqp.baseAddress!, dk: dkp.baseAddress!, dv: dvp.baseAddress!)
                }
                if let d = cache.dropped { d.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
            }}}}}}}}
            add(&dxIn, layer.query.backward(cache.query, dy: dq)!)
            add(&dxIn, layer.key.backward(cache.key, dy: dk)!)
            add(&dxIn, layer.value.backward(cache.value, dy: dv)!)
            dx = dxIn
        }

        if let m = pass.embeddingDropout { dx.withUnsafeMutableBufferPointer { m.apply($0.baseAddress!) } }
        let dEmb = embeddingNorm.backward(pass.embeddingNorm, dy: dx, rows: rows)
        let word = tables[0], position = tables[1], tokenType = pass.tokenTypeIds == nil ? nil : tables[2]
        let touched = dEmb.withUnsafeBufferPointer { d in
            word.grad.withUnsafeMutableBufferPointer { w in
                position.grad.withUnsafeMutableBufferPointer { p in
                    func run(_ t: UnsafeMutablePointer<T>?) -> (word: [Int], position: [Int], tokenType: [Int]?) {
                        EmbeddingGrad.backward(dOut: d.baseAddress!, ids: pass.inputIds, types: pass.tokenTypeIds,
                                               positions: pass.positionIds, batch: B, seq: S, hidden: H,
                                               dWord: w.baseAddress!, dPosition: p.baseAddress!, dTokenType: t)
                    }
                    if let tokenType { return tokenType.grad.withUnsafeMutableBufferPointer { run($0.baseAddress!) } }
                    return run(nil)
                }
            }
        }
        word.markTouched(touched.word)
        position.markTouched(touched.position)
        if let tokenType, let rows = touched.tokenType { tokenType.markTouched(rows) }
    }
}
