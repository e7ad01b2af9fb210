import Foundation
import TensorCore

/// DeBERTa-v2's disentangled self-attention, FP32 (HF `DisentangledSelfAttention`,
/// `transformers/models/deberta_v2/modeling_deberta_v2.py`).
///
/// Per sequence `b` and head `h`, with `δ(i, j) = clamp(bucket(i − j) + span, 0, 2·span − 1)` and
/// `s = √(d · (1 + [c2p] + [p2c]))`:
/// ```
/// score[i, j] = q_i·k_j / s  +  (q_i·pk_δ(i,j) / s  +  k_j·pq_δ(i,j) / s)      (c2p and p2c terms as configured)
/// ctx_i       = softmax_j(score[i, ·] over real keys) · V                         (real query rows)
/// ctx_i       = mean_j V_j over all seq positions                                 (padding query rows)
/// ```
/// `q, k, v`: `[batch·seq, hidden]`; `pk`, `pq`: the relative embeddings `[2·span, hidden]` projected by the key and
/// query layers; head `h` in columns `h·d ..< (h+1)·d`.
enum DisentangledAttention {
    /// HF `make_log_bucket_position` of one relative distance (float32 arithmetic as torch does it): distances
    /// inside `±buckets/2` stay, longer ones map to `mid + ⌈log(|r|/mid) / log((maxPosition−1)/mid) · (mid−1)⌉`
    /// with r's sign. `buckets ≤ 0` or `maxPosition ≤ 0`: the distance itself.
    static func bucket(_ r: Int, buckets: Int, maxPosition: Int) -> Int {
        guard buckets > 0, maxPosition > 0 else { return r }
        let mid = buckets / 2
        let absPos = (r < mid && r > -mid) ? mid - 1 : abs(r)
        if absPos <= mid { return r }
        let ratio = Float(absPos) / Float(mid)
        let denominator = Float(log(Double(Float(Double(maxPosition - 1) / Double(mid)))))
        let logPos = (Float(log(Double(ratio))) / denominator * Float(mid - 1)).rounded(.up) + Float(mid)
        return Int(logPos) * (r < 0 ? -1 : 1)
    }

    /// `ctx = attention(q, k, v)` as above; `scaleFactor` = 1 + the number of relative terms in `pos_att_type`.
    static func run(q: [Float], k: [Float], v: [Float], positionKey: [Float]?, positionQuery: [Float]?,
                    relative: EncoderLayout.Relative?, scaleFactor: Int, mask: [Float], batch B: Int, seq S: Int,
                    hidden H: Int, heads nh: Int, into ctx: inout [Float]) {
        let d = H / nh
        let scale = (Float(d) * Float(scaleFactor)).squareRoot()
        let span2 = 2 * (relative?.span ?? 0)
        // δ(i, j) for every query/key pair of the batch's length.
        var delta = [Int](repeating: 0, count: S * S)
        if let r = relative {
            for i in 0..<S {
                for j in 0..<S {
                    let b = bucket(i - j, buckets: r.buckets, maxPosition: r.maxRelative)
                    delta[i * S + j] = min(max(b + r.span, 0), span2 - 1)
                }
            }
        }
        let c2p = positionKey != nil, p2c = positionQuery != nil
        let per = S * S + 2 * S * span2
        let workers = Parallel.threads
        var scratch = [Float](repeating: 0, count: workers * per)
        let pk = positionKey ?? [], pq = positionQuery ?? []
        q.withUnsafeBufferPointer { qp in
        k.withUnsafeBufferPointer { kp in
        v.withUnsafeBufferPointer { vp in
        pk.withUnsafeBufferPointer { pkp in
        pq.withUnsafeBufferPointer { pqp in
        mask.withUnsafeBufferPointer { mp in
        ctx.withUnsafeMutableBufferPointer { cp in
        scratch.withUnsafeMutableBufferPointer { sp in
            let qb = qp.baseAddress!, kb = kp.baseAddress!, vb = vp.baseAddress!, mb = mp.baseAddress!
            let cb = cp.baseAddress!
            Parallel.forWorkerChunks(B * nh) { worker, range in
                let scores = sp.baseAddress! + worker * per
                let c2pAt = scores + S * S, p2cAt = c2pAt + S * span2
                for job in range {
                    let b = job / nh, h = job % nh
                    let off = b * S * H + h * d
                    Gemm.sgemm(transB: true, m: S, n: S, k: d, a: qb + off, lda: H, b: kb + off, ldb: H, c: scores, ldc: S)
                    if c2p {
                        Gemm.sgemm(transB: true, m: S, n: span2, k: d, a: qb + off, lda: H, b: pkp.baseAddress! + h * d,
                                   ldb: H, c: c2pAt, ldc: span2)
                    }
                    if p2c {
                        Gemm.sgemm(transB: true, m: S, n: span2, k: d, a: kb + off, lda: H, b: pqp.baseAddress! + h * d,
                                   ldb: H, c: p2cAt, ldc: span2)
                    }
                    let keep = mb + b * S
                    for i in 0..<S {
                        let row = scores + i * S
                        guard keep[i] != 0 else {
                            // Every key masked (the 2-D mask): equal scores, uniform probabilities.
                            for j in 0..<S { row[j] = 1 / Float(S) }
                            continue
                        }
                        for j in 0..<S {
                            var rel: Float = 0
                            let dl = delta[i * S + j]
                            if c2p { rel += c2pAt[i * span2 + dl] / scale }
                            if p2c { rel += p2cAt[j * span2 + dl] / scale }
                            row[j] = row[j] / scale + rel
                        }
                        Elementwise.maskedSoftmax(row, width: S, scale: 1, keep: keep)
                    }
                    Gemm.sgemm(m: S, n: d, k: S, a: scores, lda: S, b: vb + off, ldb: H, c: cb + off, ldc: H)
                }
            }
        }}}}}}}}
    }
}
