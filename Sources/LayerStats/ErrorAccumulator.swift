import Foundation

/// Error metrics of a quantized tensor `q` against its reference `r`, over `count` values.
///
///     mse      = Σ(r − q)² / count
///     maxAbs   = max |r − q|
///     sqnr_db  = 10 · log10(Σr² / Σ(r − q)²)           (+inf when q == r, NaN when both sums are 0)
///     cosine   = Σ r·q / sqrt(Σr² · Σq²)                (NaN when either norm is 0)
///     rel_l2   = sqrt(Σ(r − q)² / Σr²)
///
/// PyTorch Numeric Suite's `compute_sqnr` (`torch/ao/ns/fx/utils.py`) is `20·log10(‖r‖ / ‖r − q‖)`, the same value.
public struct ErrorMetrics: Sendable, Equatable, Codable {
    /// Values compared.
    public var count: Int
    /// Mean squared error.
    public var mse: Double
    /// Largest absolute error.
    public var maxAbsError: Double
    /// Signal-to-quantization-noise ratio in dB.
    public var sqnrDB: Double
    /// Cosine similarity of the flattened tensors.
    public var cosine: Double
    /// `‖r − q‖₂ / ‖r‖₂`.
    public var relativeL2: Double

    /// Metric names in the order the HDF5 writer stores them (also the attribute / dataset names).
    public static let names = ["mse", "max_abs_error", "sqnr_db", "cosine", "rel_l2"]

    /// The values in `names` order.
    public var values: [Double] { [mse, maxAbsError, sqnrDB, cosine, relativeL2] }
}

/// Running sums for `ErrorMetrics`, in `Double`, over the rows a mask keeps (padding positions excluded).
///
/// Sums are accumulated row by row in a fixed order, so the result depends only on the data and its order.
public struct ErrorAccumulator: Sendable, Equatable {
    /// Values accumulated.
    public private(set) var count = 0
    /// Σr².
    public private(set) var sumSquaredReference = 0.0
    /// Σq².
    public private(set) var sumSquaredQuantized = 0.0
    /// Σ(r − q)².
    public private(set) var sumSquaredError = 0.0
    /// Σ r·q.
    public private(set) var sumProduct = 0.0
    /// max |r − q|.
    public private(set) var maxAbsError = 0.0

    public init() {}

    /// Adds `reference[i]`, `quantized[i]` pairs for every `i` of the buffers (same length).
    public mutating func add(reference: UnsafeBufferPointer<Float>, quantized: UnsafeBufferPointer<Float>) {
        precondition(reference.count == quantized.count, "ErrorAccumulator: \(reference.count) vs \(quantized.count) values")
        guard let r = reference.baseAddress, let q = quantized.baseAddress else { return }
        add(r, q, count: reference.count)
    }

    /// Adds the rows of two `[rows, width]` tensors whose `keep(row)` is true.
    public mutating func add(reference: UnsafeBufferPointer<Float>, quantized: UnsafeBufferPointer<Float>,
                             rows: Int, width: Int, keep: (Int) -> Bool) {
        precondition(reference.count >= rows * width && quantized.count >= rows * width,
                     "ErrorAccumulator: buffers shorter than \(rows)×\(width)")
        guard rows > 0, width > 0, let r = reference.baseAddress, let q = quantized.baseAddress else { return }
        for row in 0..<rows where keep(row) { add(r + row * width, q + row * width, count: width) }
    }

    /// Adds one run of `count` value pairs.
    mutating func add(_ r: UnsafePointer<Float>, _ q: UnsafePointer<Float>, count n: Int) {
        var rr = 0.0, qq = 0.0, ee = 0.0, rq = 0.0, m = maxAbsError
        for i in 0..<n {
            let a = Double(r[i]), b = Double(q[i]), e = a - b
            rr += a * a
            qq += b * b
            ee += e * e
            rq += a * b
            let ae = abs(e)
            if ae > m || ae.isNaN { m = ae }
        }
        sumSquaredReference += rr
        sumSquaredQuantized += qq
        sumSquaredError += ee
        sumProduct += rq
        maxAbsError = m
        count += n
    }

    /// Adds another accumulator's sums (`max` of the maxima).
    public mutating func merge(_ other: ErrorAccumulator) {
        count += other.count
        sumSquaredReference += other.sumSquaredReference
        sumSquaredQuantized += other.sumSquaredQuantized
        sumSquaredError += other.sumSquaredError
        sumProduct += other.sumProduct
        maxAbsError = max(maxAbsError, other.maxAbsError)
    }

    /// The metrics of everything added so far (all NaN when nothing was added).
    public var metrics: ErrorMetrics {
        guard count > 0 else {
            return ErrorMetrics(count: 0, mse: .nan, maxAbsError: .nan, sqnrDB: .nan, cosine: .nan, relativeL2: .nan)
        }
        return ErrorMetrics(count: count, mse: sumSquaredError / Double(count), maxAbsError: maxAbsError,
                            sqnrDB: ErrorAccumulator.sqnrDB(signal: sumSquaredReference, noise: sumSquaredError),
                            cosine: ErrorAccumulator.cosine(dot: sumProduct, a: sumSquaredReference, b: sumSquaredQuantized),
                            relativeL2: (sumSquaredError / sumSquaredReference).squareRoot())
    }

    /// `10·log10(signal / noise)`: +inf for zero noise, NaN when both are zero.
    public static func sqnrDB(signal: Double, noise: Double) -> Double {
        if noise == 0 { return signal == 0 ? .nan : .infinity }
        return 10 * log10(signal / noise)
    }

    /// `dot / sqrt(a·b)`, NaN when a norm is zero; clamped to [−1, 1] against rounding.
    public static func cosine(dot: Double, a: Double, b: Double) -> Double {
        guard a > 0, b > 0 else { return .nan }
        return min(1, max(-1, dot / (a.squareRoot() * b.squareRoot())))
    }
}

/// Which rows of a tapped tensor are real tokens.
///
/// Tensors of `batch × seq` rows use the batch's attention mask; the pooler and classifier see one row per
/// sequence (the `[CLS]` position), all of them real.
public struct RowMask: Sendable {
    /// `batch × seq` entries, nonzero for real tokens.
    public var mask: [Float]
    /// Sequences in the batch.
    public var batch: Int
    /// Padded sequence length.
    public var seq: Int

    /// - Precondition: `mask.count == batch · seq`.
    public init(mask: [Float], batch: Int, seq: Int) {
        precondition(mask.count == batch * seq, "RowMask: \(mask.count) entries for \(batch)×\(seq)")
        self.mask = mask
        self.batch = batch
        self.seq = seq
    }

    /// A mask of `rows` real rows.
    public static func allReal(rows: Int) -> RowMask { RowMask(mask: .init(repeating: 1, count: rows), batch: rows, seq: 1) }

    /// The keep-flags for a tensor with `rows` rows: the mask for `batch × seq` rows, all true otherwise.
    public func keep(rows: Int) -> [Bool] {
        if rows == batch * seq { return mask.map { $0 != 0 } }
        return [Bool](repeating: true, count: rows)
    }

    /// Real tokens in the batch.
    public var realRows: Int { mask.reduce(0) { $0 + ($1 != 0 ? 1 : 0) } }
}
