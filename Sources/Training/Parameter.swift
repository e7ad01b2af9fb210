/// One trainable tensor: its value, its gradient and how the optimizer treats it.
///
/// `value` and `grad` are row-major with `shape` (PyTorch layout: linear weights `[out, in]`). Gradients
/// accumulate (`+=`) until `zeroGradient()`. Embedding tables get sparse row gradients: the backward pass
/// writes only the rows of the tokens in the batch and records them in `touchedRows`, so zeroing and norms
/// cost O(rows touched), not O(vocabulary).
public final class Parameter<T: TrainingScalar> {
    /// Canonical HF name without the `bert.` prefix, e.g. `encoder.layer.0.attention.self.query.weight`.
    public let name: String
    /// Extent of each dimension.
    public let shape: [Int]
    /// Current values.
    public var value: [T]
    /// Accumulated gradient `∂loss/∂value`, same layout as `value`.
    public var grad: [T]
    /// Whether AdamW applies weight decay (HF Trainer: not to biases and LayerNorm parameters).
    public let decays: Bool
    /// For row-sparse parameters (embedding tables): the rows whose gradient may be non-zero, sorted; nil = dense.
    public internal(set) var touchedRows: [Int]?

    /// A parameter with `value`; `sparseRows` marks an embedding table.
    public init(name: String, shape: [Int], value: [T], decays: Bool, sparseRows: Bool = false) {
        precondition(shape.reduce(1, *) == value.count, "Parameter \(name): shape \(shape) vs \(value.count) values")
        self.name = name
        self.shape = shape
        self.value = value
        self.grad = [T](repeating: 0, count: value.count)
        self.decays = decays
        self.touchedRows = sparseRows ? [] : nil
    }

    /// Number of elements.
    public var count: Int { value.count }

    /// Row width of a rank-2 parameter (1 for vectors' elements).
    public var rowWidth: Int { shape.count >= 2 ? shape.dropFirst().reduce(1, *) : 1 }

    /// Whether the gradient is stored as touched rows.
    public var isRowSparse: Bool { touchedRows != nil }

    /// Sets the gradient to zero (only the touched rows of a row-sparse parameter).
    public func zeroGradient() {
        if let rows = touchedRows {
            let w = rowWidth
            grad.withUnsafeMutableBufferPointer { g in
                for r in rows { (g.baseAddress! + r * w).update(repeating: 0, count: w) }
            }
            touchedRows = []
        } else {
            grad.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
    }

    /// Records rows written by a sparse backward pass (kept sorted and unique).
    func markTouched(_ rows: [Int]) {
        guard let old = touchedRows else { return }
        touchedRows = Array(Set(old).union(rows)).sorted()
    }

    /// `Σ grad²` in Double, over touched rows only for row-sparse parameters.
    public func gradientSquaredNorm() -> Double {
        var s = 0.0
        grad.withUnsafeBufferPointer { g in
            if let rows = touchedRows {
                let w = rowWidth
                for r in rows {
                    let row = g.baseAddress! + r * w
                    for i in 0..<w { let v = Double(row[i]); s += v * v }
                }
            } else {
                for v in g { let d = Double(v); s += d * d }
            }
        }
        return s
    }

    /// Multiplies the gradient by `factor` (touched rows only for row-sparse parameters).
    public func scaleGradient(by factor: T) {
        grad.withUnsafeMutableBufferPointer { g in
            if let rows = touchedRows {
                let w = rowWidth
                for r in rows {
                    let row = g.baseAddress! + r * w
                    for i in 0..<w { row[i] *= factor }
                }
            } else {
                for i in g.indices { g[i] *= factor }
            }
        }
    }
}
