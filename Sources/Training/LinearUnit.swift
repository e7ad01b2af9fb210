import Quantization

/// A trainable linear layer `y = x · Wᵀ + b` of the classifier, by HF name, with what its backward pass needs.
public final class LinearUnit<T: TrainingScalar> {
    /// HF layer name, e.g. `encoder.layer.0.attention.self.query`.
    public let name: String
    /// `[out, in]`.
    public let weight: Parameter<T>
    /// `[out]`.
    public let bias: Parameter<T>
    /// Quantization-aware training: fake-quantized weight, input and output with a straight-through estimator
    /// (see `FakeQuantization`); nil trains in FP32.
    public internal(set) var fakeQuantization: FakeQuantization?

    /// Output width N.
    public var outFeatures: Int { weight.shape[0] }
    /// Input width K.
    public var inFeatures: Int { weight.shape[1] }

    init(name: String, weight: Parameter<T>, bias: Parameter<T>) {
        self.name = name
        self.weight = weight
        self.bias = bias
    }

    /// What the backward pass of one call needs.
    struct Cache {
        /// The input the gemm saw (x̂ under QAT).
        var input: [T]
        /// The weight the gemm saw under QAT (Ŵ); nil = `weight.value`.
        var weightUsed: [T]?
        var rows: Int
    }

    /// `y[rows, out]` from `x[rows, in]`; under QAT `observe` feeds the activation observers (training steps).
    func forward(_ xIn: [T], rows: Int, observe: Bool = false) -> ([T], Cache) {
        var y = [T](repeating: 0, count: rows * outFeatures)
        var x = xIn
        var weightUsed: [T]? = nil
        var weightParams: QuantParams? = nil, inputParams: [QuantScheme.ParamEntry]? = nil
        if let fq = fakeQuantization {
            let codes: QuantizedTensor?
            (weightUsed, weightParams, codes) = fq.quantizeWeight(weight.value, shape: weight.shape)
            inputParams = fq.quantizeInput(&x, rows: rows, observe: observe)
            // Forward values from the integer kernels themselves where inference runs them; the cache keeps x̂, Ŵ
            // for the straight-through backward pass.
            if var yInt = fq.integerLinear(xIn, rows: rows, codes: codes, bias: bias.value, inputParams: inputParams) {
                fq.quantizeOutput(&yInt, rows: rows, observe: observe)
                return (yInt, Cache(input: x, weightUsed: weightUsed, rows: rows))
            }
        }
        x.withUnsafeBufferPointer { xp in
            (weightUsed ?? weight.value).withUnsafeBufferPointer { wp in
                bias.value.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        LinearGrad.forward(x: xp.baseAddress!, rows: rows, weight: wp.baseAddress!,
                                           bias: fakeQuantization == nil ? bp.baseAddress! : nil,
                                           outFeatures: outFeatures, inFeatures: inFeatures, y: yp.baseAddress!)
                    }
                }
            }
        }
        if let fq = fakeQuantization {
            fq.addBias(bias.value, to: &y, rows: rows, weightParams: weightParams, inputParams: inputParams)
            fq.quantizeOutput(&y, rows: rows, observe: observe)
        }
        return (y, Cache(input: x, weightUsed: weightUsed, rows: rows))
    }

    /// Accumulates `dW`, `db` and returns `dx` (nil when `needInput` is false). Under QAT this is the
    /// straight-through estimator: the quantizers pass gradients unchanged, so `dx = dy·Ŵ`, `dW = dyᵀ·x̂`.
    func backward(_ cache: Cache, dy: [T], needInput: Bool = true) -> [T]? {
        let rows = cache.rows
        var dx: [T]? = needInput ? [T](repeating: 0, count: rows * inFeatures) : nil
        dy.withUnsafeBufferPointer { dyp in
            cache.input.withUnsafeBufferPointer { xp in
                (cache.weightUsed ?? weight.value).withUnsafeBufferPointer { wp in
                    weight.grad.withUnsafeMutableBufferPointer { dw in
                        bias.grad.withUnsafeMutableBufferPointer { db in
                            func run(_ dxp: UnsafeMutablePointer<T>?) {
                                LinearGrad.backward(dy: dyp.baseAddress!, x: xp.baseAddress!, rows: rows,
                                                    weight: wp.baseAddress!, outFeatures: outFeatures,
                                                    inFeatures: inFeatures, dx: dxp, dWeight: dw.baseAddress!,
                                                    dBias: db.baseAddress!)
                            }
                            if dx != nil {
                                dx!.withUnsafeMutableBufferPointer { run($0.baseAddress!) }
                            } else {
                                run(nil)
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}

/// A trainable LayerNorm (γ, β `[hidden]`).
public final class LayerNormUnit<T: TrainingScalar> {
    /// HF name, e.g. `encoder.layer.0.output.LayerNorm`.
    public let name: String
    /// Scale γ `[hidden]`.
    public let gamma: Parameter<T>
    /// Shift β `[hidden]`.
    public let beta: Parameter<T>
    let eps: T

    init(name: String, gamma: Parameter<T>, beta: Parameter<T>, eps: T) {
        self.name = name
        self.gamma = gamma
        self.beta = beta
        self.eps = eps
    }

    struct Cache {
        var xhat: [T]
        var rstd: [T]
    }

    func forward(_ x: [T], rows: Int) -> ([T], Cache) {
        let w = gamma.count
        var y = [T](repeating: 0, count: rows * w)
        var c = Cache(xhat: [T](repeating: 0, count: rows * w), rstd: [T](repeating: 0, count: rows))
        x.withUnsafeBufferPointer { xp in
            gamma.value.withUnsafeBufferPointer { g in
                beta.value.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { yp in
                        c.xhat.withUnsafeMutableBufferPointer { xh in
                            c.rstd.withUnsafeMutableBufferPointer { rs in
                                LayerNormGrad.forward(x: xp.baseAddress!, rows: rows, width: w, gamma: g.baseAddress!,
                                                      beta: b.baseAddress!, eps: eps, y: yp.baseAddress!,
                                                      xhat: xh.baseAddress!, rstd: rs.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        return (y, c)
    }

    func backward(_ c: Cache, dy: [T], rows: Int) -> [T] {
        let w = gamma.count
        var dx = [T](repeating: 0, count: rows * w)
        dy.withUnsafeBufferPointer { dyp in
            c.xhat.withUnsafeBufferPointer { xh in
                c.rstd.withUnsafeBufferPointer { rs in
                    gamma.value.withUnsafeBufferPointer { g in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            gamma.grad.withUnsafeMutableBufferPointer { dg in
                                beta.grad.withUnsafeMutableBufferPointer { db in
                                    LayerNormGrad.backward(dy: dyp.baseAddress!, xhat: xh.baseAddress!,
                                                           rstd: rs.baseAddress!, rows: rows, width: w,
                                                           gamma: g.baseAddress!, dx: dxp.baseAddress!,
                                                           dGamma: dg.baseAddress!, dBeta: db.baseAddress!)
                                }
                            }
                        }
                    }
                }
            }
        }
        return dx
    }
}
