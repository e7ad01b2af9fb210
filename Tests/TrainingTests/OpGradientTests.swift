import BERT
import Foundation
import TensorCore
import Training
import XCTest

/// Every op's backward pass against central finite differences in float64 (relative error ≤ 1e-3; observed
/// values are printed and are ~1e-8 or better).
final class OpGradientTests: XCTestCase {
    let tolerance = 1e-3

    func report(_ name: String, _ err: Double) {
        print(String(format: "gradient check %@: relative error %.3e", name, err))
        XCTAssertLessThanOrEqual(err, tolerance, name)
    }

    func testLinear() {
        let rows = 3, k = 5, n = 4
        let x = GradientCheck.random(rows * k, seed: 1), w = GradientCheck.random(n * k, seed: 2)
        let b = GradientCheck.random(n, seed: 3), r = GradientCheck.random(rows * n, seed: 4)
        func loss(_ x: [Double], _ w: [Double], _ b: [Double]) -> Double {
            var y = [Double](repeating: 0, count: rows * n)
            x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in
                    LinearGrad.forward(x: xp.baseAddress!, rows: rows, weight: wp.baseAddress!, bias: bp.baseAddress!,
                                       outFeatures: n, inFeatures: k, y: yp.baseAddress!)
                }
            }}}
            return GradientCheck.dot(r, y)
        }
        var dx = [Double](repeating: 0, count: rows * k), dw = [Double](repeating: 0, count: n * k)
        var db = [Double](repeating: 0, count: n)
        r.withUnsafeBufferPointer { rp in x.withUnsafeBufferPointer { xp in w.withUnsafeBufferPointer { wp in
            dx.withUnsafeMutableBufferPointer { dxp in dw.withUnsafeMutableBufferPointer { dwp in db.withUnsafeMutableBufferPointer { dbp in
                LinearGrad.backward(dy: rp.baseAddress!, x: xp.baseAddress!, rows: rows, weight: wp.baseAddress!,
                                    outFeatures: n, inFeatures: k, dx: dxp.baseAddress!, dWeight: dwp.baseAddress!,
                                    dBias: dbp.baseAddress!)
            }}}
        }}}
        report("linear dx", GradientCheck.relativeError(dx, GradientCheck.numeric(x) { loss($0, w, b) }))
        report("linear dW", GradientCheck.relativeError(dw, GradientCheck.numeric(w) { loss(x, $0, b) }))
        report("linear db", GradientCheck.relativeError(db, GradientCheck.numeric(b) { loss(x, w, $0) }))
    }

    func testLayerNorm() {
        let rows = 4, width = 6
        let x = GradientCheck.random(rows * width, seed: 5, std: 2)
        let g = GradientCheck.random(width, seed: 6), b = GradientCheck.random(width, seed: 7)
        let r = GradientCheck.random(rows * width, seed: 8)
        func run(_ x: [Double], _ g: [Double], _ b: [Double]) -> ([Double], [Double], [Double]) {
            var y = [Double](repeating: 0, count: rows * width), xh = y, rs = [Double](repeating: 0, count: rows)
            x.withUnsafeBufferPointer { xp in g.withUnsafeBufferPointer { gp in b.withUnsafeBufferPointer { bp in
                y.withUnsafeMutableBufferPointer { yp in xh.withUnsafeMutableBufferPointer { xhp in rs.withUnsafeMutableBufferPointer { rsp in
                    LayerNormGrad.forward(x: xp.baseAddress!, rows: rows, width: width, gamma: gp.baseAddress!,
                                          beta: bp.baseAddress!, eps: 1e-5, y: yp.baseAddress!, xhat: xhp.baseAddress!,
                                          rstd: rsp.baseAddress!)
                }}}
            }}}
            return (y, xh, rs)
        }
        let (_, xh, rs) = run(x, g, b)
        var dx = [Double](repeating: 0, count: rows * width), dg = [Double](repeating: 0, count: width), db = dg
        r.withUnsafeBufferPointer { rp in xh.withUnsafeBufferPointer { xhp in rs.withUnsafeBufferPointer { rsp in g.withUnsafeBufferPointer { gp in
            dx.withUnsafeMutableBufferPointer { dxp in dg.withUnsafeMutableBufferPointer { dgp in db.withUnsafeMutableBufferPointer { dbp in
                LayerNormGrad.backward(dy: rp.baseAddress!, xhat: xhp.baseAddress!, rstd: rsp.baseAddress!, rows: rows,
                                       width: width, gamma: gp.baseAddress!, dx: dxp.baseAddress!,
                                       dGamma: dgp.baseAddress!, dBeta: dbp.baseAddress!)
            }}}
        }}}}
        report("layernorm dx", GradientCheck.relativeError(dx, GradientCheck.numeric(x) { GradientCheck.dot(r, run($0, g, b).0) }))
        report("layernorm dgamma", GradientCheck.relativeError(dg, GradientCheck.numeric(g) { GradientCheck.dot(r, run(x, $0, b).0) }))
        report("layernorm dbeta", GradientCheck.relativeError(db, GradientCheck.numeric(b) { GradientCheck.dot(r, run(x, g, $0).0) }))
    }

    func testGELU() {
        let x = GradientCheck.random(40, seed: 9, std: 2), r = GradientCheck.random(40, seed: 10)
        func f(_ x: [Double]) -> Double {
            var y = x
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { ActivationGrad.geluForward(xp.baseAddress!, count: x.count, y: $0.baseAddress!) } }
            return GradientCheck.dot(r, y)
        }
        var dx = r
        x.withUnsafeBufferPointer { xp in dx.withUnsafeMutableBufferPointer {
            ActivationGrad.geluBackward(dy: $0.baseAddress!, x: xp.baseAddress!, count: x.count, dx: $0.baseAddress!)
        } }
        report("gelu", GradientCheck.relativeError(dx, GradientCheck.numeric(x, f)))
        // Forward value against the closed form at a few points (PyTorch nn.GELU()).
        var y = [Double](repeating: 0, count: 3)
        [-1.0, 0.5, 2.0].withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { ActivationGrad.geluForward(xp.baseAddress!, count: 3, y: $0.baseAddress!) } }
        XCTAssertEqual(y[0], -0.15865525393145707, accuracy: 1e-14)
        XCTAssertEqual(y[2], 1.9544997361036416, accuracy: 1e-14)
    }

    /// Float32 uses the engine's vectorised GELU forward and a one-exp backward; both stay within 1e-6 of float64.
    func testGELUFloatKernelsAgreeWithFloat64() {
        let xd = (0..<2000).map { -6 + 12 * Double($0) / 1999 }, r = GradientCheck.random(2000, seed: 30)
        let xf = xd.map { Float($0) }, rf = r.map { Float($0) }
        var yd = xd, yf = xf, dd = r, df = rf
        xd.withUnsafeBufferPointer { p in yd.withUnsafeMutableBufferPointer { ActivationGrad.geluForward(p.baseAddress!, count: 2000, y: $0.baseAddress!) } }
        xf.withUnsafeBufferPointer { p in yf.withUnsafeMutableBufferPointer { ActivationGrad.geluForward(p.baseAddress!, count: 2000, y: $0.baseAddress!) } }
        xd.withUnsafeBufferPointer { p in dd.withUnsafeMutableBufferPointer { ActivationGrad.geluBackward(dy: $0.baseAddress!, x: p.baseAddress!, count: 2000, dx: $0.baseAddress!) } }
        xf.withUnsafeBufferPointer { p in df.withUnsafeMutableBufferPointer { ActivationGrad.geluBackward(dy: $0.baseAddress!, x: p.baseAddress!, count: 2000, dx: $0.baseAddress!) } }
        for i in 0..<2000 {
            XCTAssertEqual(Double(yf[i]), yd[i], accuracy: 1e-6 * max(1, abs(yd[i])), "gelu(\(xd[i]))")
            XCTAssertEqual(Double(df[i]), dd[i], accuracy: 1e-6 * max(1, abs(r[i])), "gelu'(\(xd[i]))")
        }
    }

    func testTanh() {
        let x = GradientCheck.random(20, seed: 11), r = GradientCheck.random(20, seed: 12)
        func forward(_ x: [Double]) -> [Double] {
            var y = x
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { ActivationGrad.tanhForward(xp.baseAddress!, count: x.count, y: $0.baseAddress!) } }
            return y
        }
        let y = forward(x)
        var dx = r
        y.withUnsafeBufferPointer { yp in dx.withUnsafeMutableBufferPointer {
            ActivationGrad.tanhBackward(dy: $0.baseAddress!, y: yp.baseAddress!, count: x.count, dx: $0.baseAddress!)
        } }
        report("tanh", GradientCheck.relativeError(dx, GradientCheck.numeric(x) { GradientCheck.dot(r, forward($0)) }))
    }

    /// ReLU (DistilBERT's head and `activation: relu`) through the `ActivationGrad.apply` / `backward` dispatch,
    /// away from the kink at 0; gradient exactly 0 for x < 0.
    func testReLU() {
        let x = GradientCheck.random(40, seed: 13).map { $0 + ($0 < 0 ? -0.01 : 0.01) }
        let r = GradientCheck.random(40, seed: 14)
        func forward(_ x: [Double]) -> [Double] {
            var y = x
            x.withUnsafeBufferPointer { xp in y.withUnsafeMutableBufferPointer { ActivationGrad.apply(.relu, xp.baseAddress!, count: x.count, y: $0.baseAddress!) } }
            return y
        }
        let y = forward(x)
        XCTAssertEqual(y, x.map { max(0, $0) })
        var dx = r
        x.withUnsafeBufferPointer { xp in y.withUnsafeBufferPointer { yp in dx.withUnsafeMutableBufferPointer {
            ActivationGrad.backward(.relu, dy: $0.baseAddress!, x: xp.baseAddress!, y: yp.baseAddress!, count: x.count, dx: $0.baseAddress!)
        } } }
        report("relu", GradientCheck.relativeError(dx, GradientCheck.numeric(x, h: 1e-4) { GradientCheck.dot(r, forward($0)) }))
        for i in x.indices where x[i] < 0 { XCTAssertEqual(dx[i], 0) }
    }

    func attentionCheck(dropout: Double?) {
        let shape = AttentionShape(batch: 2, seq: 5, heads: 2, headDim: 3)
        let n = shape.batch * shape.seq * shape.hidden
        let q = GradientCheck.random(n, seed: 13), k = GradientCheck.random(n, seed: 14), v = GradientCheck.random(n, seed: 15)
        let r = GradientCheck.random(n, seed: 16)
        let keep: [Double] = [1, 1, 1, 1, 1, 1, 1, 1, 0, 0]   // second sequence has 2 padding positions
        let drop: (p: Double, seed: UInt64)? = dropout.map { ($0, 77) }
        func forward(_ q: [Double], _ k: [Double], _ v: [Double]) -> ([Double], [Double], [Double]?) {
            var probs = [Double](repeating: 0, count: shape.probabilityCount)
            var dropped: [Double]? = drop == nil ? nil : probs
            var ctx = [Double](repeating: 0, count: n)
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in keep.withUnsafeBufferPointer { mp in
                probs.withUnsafeMutableBufferPointer { pp in ctx.withUnsafeMutableBufferPointer { cp in
                    if dropped != nil {
                        dropped!.withUnsafeMutableBufferPointer { dp in
                            AttentionGrad.forward(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, keep: mp.baseAddress!,
                                                  shape: shape, dropout: drop, probs: pp.baseAddress!, dropped: dp.baseAddress!,
                                                  ctx: cp.baseAddress!)
                        }
                    } else {
                        AttentionGrad.forward(q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!, keep: mp.baseAddress!,
                                              shape: shape, dropout: nil, probs: pp.baseAddress!, dropped: nil, ctx: cp.baseAddress!)
                    }
                }}
            }}}}
            return (ctx, probs, dropped)
        }
        let (_, probs, dropped) = forward(q, k, v)
        // Masked keys get probability exactly 0; rows sum to 1.
        let S = shape.seq
        for row in 0..<(shape.batch * shape.heads * S) {
            let p = probs[(row * S)..<((row + 1) * S)]
            XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-12)
            if row >= shape.heads * S { XCTAssertEqual(p[p.startIndex + 3], 0); XCTAssertEqual(p[p.startIndex + 4], 0) }
        }
        if let dropped { XCTAssertTrue(dropped.contains(0) && dropped != probs, "dropout zeroes some probabilities") }
        var dq = [Double](repeating: 0, count: n), dk = dq, dv = dq
        r.withUnsafeBufferPointer { rp in q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
            probs.withUnsafeBufferPointer { pp in
                dq.withUnsafeMutableBufferPointer { dqp in dk.withUnsafeMutableBufferPointer { dkp in dv.withUnsafeMutableBufferPointer { dvp in
                    func run(_ d: UnsafePointer<Double>?) {
                        AttentionGrad.backward(dctx: rp.baseAddress!, q: qp.baseAddress!, k: kp.baseAddress!, v: vp.baseAddress!,
                                               probs: pp.baseAddress!, dropped: d, dropoutP: dropout ?? 0, shape: shape,
                                               dq: dqp.baseAddress!, dk: dkp.baseAddress!, dv: dvp.baseAddress!)
                    }
                    if let dropped { dropped.withUnsafeBufferPointer { run($0.baseAddress!) } } else { run(nil) }
                }}}
            }
        }}}}
        let tag = dropout == nil ? "attention" : "attention+dropout"
        report("\(tag) dq", GradientCheck.relativeError(dq, GradientCheck.numeric(q) { GradientCheck.dot(r, forward($0, k, v).0) }))
        report("\(tag) dk", GradientCheck.relativeError(dk, GradientCheck.numeric(k) { GradientCheck.dot(r, forward(q, $0, v).0) }))
        report("\(tag) dv", GradientCheck.relativeError(dv, GradientCheck.numeric(v) { GradientCheck.dot(r, forward(q, k, $0).0) }))
    }

    func testMaskedSoftmaxAttention() { attentionCheck(dropout: nil) }

    func testMaskedSoftmaxAttentionWithDropout() { attentionCheck(dropout: 0.3) }

    func testDropout() {
        let x = GradientCheck.random(1000, seed: 17), r = GradientCheck.random(1000, seed: 18)
        let mask = DropoutMask(count: x.count, p: 0.25, seed: 3)
        func f(_ x: [Double]) -> Double { var y = x; y.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!) }; return GradientCheck.dot(r, y) }
        var dx = r
        dx.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!) }
        report("dropout", GradientCheck.relativeError(dx, GradientCheck.numeric(x, f)))
        let kept = mask.keep.reduce(0) { $0 + Int($1) }
        XCTAssertEqual(Double(kept) / 1000, 0.75, accuracy: 0.05)
        XCTAssertEqual(DropoutMask(count: 1000, p: 0.25, seed: 3).keep, mask.keep, "same seed, same mask")
        XCTAssertNotEqual(DropoutMask(count: 1000, p: 0.25, seed: 4).keep, mask.keep)
        var y = [Double](repeating: 1, count: 1000)
        y.withUnsafeMutableBufferPointer { mask.apply($0.baseAddress!) }
        XCTAssertTrue(y.allSatisfy { $0 == 0 || abs($0 - 1 / 0.75) < 1e-15 }, "kept values scaled by 1/(1-p)")
    }

    func testCrossEntropy() {
        let labels = [1, 0, 2], classes = 3
        let z = GradientCheck.random(9, seed: 19, std: 3)
        func f(_ z: [Double]) -> Double {
            var d = z
            return z.withUnsafeBufferPointer { zp in d.withUnsafeMutableBufferPointer {
                CrossEntropy.lossAndGradient(logits: zp.baseAddress!, labels: labels, classes: classes, dLogits: $0.baseAddress!)
            } }
        }
        var dz = z
        let loss = z.withUnsafeBufferPointer { zp in dz.withUnsafeMutableBufferPointer {
            CrossEntropy.lossAndGradient(logits: zp.baseAddress!, labels: labels, classes: classes, dLogits: $0.baseAddress!)
        } }
        report("cross-entropy", GradientCheck.relativeError(dz, GradientCheck.numeric(z, f)))
        // loss = mean(logsumexp(z_b) − z_b[y_b])
        var expected = 0.0
        for b in 0..<3 {
            let row = z[(b * 3)..<(b * 3 + 3)]
            expected += log(row.map { exp($0) }.reduce(0, +)) - z[b * 3 + labels[b]]
        }
        XCTAssertEqual(loss, expected / 3, accuracy: 1e-12)
    }

    func testEmbeddingSparseRows() {
        let vocab = 7, positions = 6, types = 2, h = 3, batch = 2, seq = 4
        let ids: [Int32] = [1, 5, 5, 0, 3, 1, 0, 0], tts: [Int32] = [0, 0, 1, 1, 0, 1, 0, 0]
        // BERT (absolute positions, token types) and RoBERTa-style positions counted from padding id 0 without a
        // token type table (as DistilBERT has none): positions [1, 2, 3, 0, 1, 2, 0, 0].
        for (rule, withTypes) in [(EncoderLayout.Positions.absolute, true), (.offsetFromPadding(paddingIdx: 0), false)] {
            let pos = rule.ids(ids, batch: batch, seq: seq)
            let ttsUsed: [Int32]? = withTypes ? tts : nil
            let w = GradientCheck.random(vocab * h, seed: 20), p = GradientCheck.random(positions * h, seed: 21)
            let t = GradientCheck.random(types * h, seed: 22), r = GradientCheck.random(batch * seq * h, seed: 23)
            func f(_ w: [Double], _ p: [Double], _ t: [Double]) -> Double {
                var out = [Double](repeating: 0, count: batch * seq * h)
                w.withUnsafeBufferPointer { wp in p.withUnsafeBufferPointer { pp in t.withUnsafeBufferPointer { tp in
                    out.withUnsafeMutableBufferPointer {
                        EmbeddingGrad.forward(ids: ids, types: ttsUsed, positions: pos, batch: batch, seq: seq, hidden: h,
                                              word: wp.baseAddress!, position: pp.baseAddress!,
                                              tokenType: withTypes ? tp.baseAddress! : nil, out: $0.baseAddress!)
                    }
                }}}
                return GradientCheck.dot(r, out)
            }
            var dw = [Double](repeating: 0, count: vocab * h), dp = [Double](repeating: 0, count: positions * h)
            var dt = [Double](repeating: 0, count: types * h)
            let touched = r.withUnsafeBufferPointer { rp in dw.withUnsafeMutableBufferPointer { a in dp.withUnsafeMutableBufferPointer { b in dt.withUnsafeMutableBufferPointer { c in
                EmbeddingGrad.backward(dOut: rp.baseAddress!, ids: ids, types: ttsUsed, positions: pos, batch: batch,
                                       seq: seq, hidden: h, dWord: a.baseAddress!, dPosition: b.baseAddress!,
                                       dTokenType: withTypes ? c.baseAddress! : nil)
            }}}}
            report("embedding word", GradientCheck.relativeError(dw, GradientCheck.numeric(w) { f($0, p, t) }))
            report("embedding position", GradientCheck.relativeError(dp, GradientCheck.numeric(p) { f(w, $0, t) }))
            XCTAssertEqual(touched.word, [0, 1, 3, 5])
            XCTAssertEqual(touched.position, [0, 1, 2, 3])
            for row in [2, 4, 6] { XCTAssertEqual(Array(dw[(row * h)..<(row * h + h)]), [0, 0, 0], "untouched row \(row)") }
            if withTypes {
                report("embedding token type", GradientCheck.relativeError(dt, GradientCheck.numeric(t) { f(w, p, $0) }))
                XCTAssertEqual(touched.tokenType, [0, 1])
            } else {
                XCTAssertNil(touched.tokenType)
                XCTAssertEqual(pos, [1, 2, 3, 0, 1, 2, 0, 0])
                XCTAssertEqual(Array(dp[(4 * h)..<(6 * h)]), [Double](repeating: 0, count: 2 * h), "positions 4, 5 unused")
            }
        }
    }
}
