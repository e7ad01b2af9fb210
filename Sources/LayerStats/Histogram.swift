/// A fixed-bin histogram over a symmetric range `[−R, R)` whose half-width `R` is a power of two.
///
/// `R` starts as the smallest power of two ≥ the largest `|x|` of the first values added and doubles when a
/// larger value arrives; doubling merges neighbouring bin pairs into the middle half of the bins, so the counts
/// stay exact (no re-binning approximation) and the result depends only on the values and their order. Bin `i`
/// covers `[−R + i·w, −R + (i+1)·w)` with `w = 2R / bins`; `x = R` exactly falls in the last bin. Zeros before any
/// nonzero value fall in the middle bin. NaN and ±inf are counted in `nonFinite` and not binned.
///
/// Counts are `UInt64`; the HDF5 layout stores `counts` and the `bins + 1` `edges`.
public struct Histogram: Sendable, Equatable {
    /// Bin counts, `bins` of them.
    public private(set) var counts: [UInt64]
    /// Half-width `R` of the range (0 until a nonzero finite value was added).
    public private(set) var halfRange: Double = 0
    /// NaN and infinite values seen (not in `counts`).
    public private(set) var nonFinite: UInt64 = 0
    /// Zeros seen while `halfRange` was still 0 (binned into the middle bins when a range appears).
    private var pendingZeros: UInt64 = 0

    /// Default bin count of the statistics files.
    public static let defaultBins = 256

    /// - Precondition: `bins` is a positive multiple of 4 (pairs merge into the middle half).
    public init(bins: Int = Histogram.defaultBins) {
        precondition(bins > 0 && bins % 4 == 0, "Histogram: bins must be a positive multiple of 4, got \(bins)")
        counts = [UInt64](repeating: 0, count: bins)
    }

    /// Number of bins.
    public var bins: Int { counts.count }

    /// Values binned (finite ones).
    public var total: UInt64 { counts.reduce(0, +) + pendingZeros }

    /// `bins + 1` bin edges from `−R` to `R` (all 0 while nothing nonzero was seen).
    public var edges: [Double] {
        let n = bins, r = halfRange
        return (0...n).map { -r + 2 * r * Double($0) / Double(n) }
    }

    /// Adds `values[i]` for every `i`.
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        guard let p = values.baseAddress else { return }
        add(p, count: values.count)
    }

    /// Adds an array of values.
    public mutating func add(_ values: [Float]) {
        values.withUnsafeBufferPointer { add($0) }
    }

    /// Adds `count` values starting at `p`.
    public mutating func add(_ p: UnsafePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var m: Float = 0
        for i in 0..<count where p[i].isFinite { m = max(m, abs(p[i])) }
        if m > 0 { grow(toCover: Double(m)) }
        if halfRange == 0 {
            for i in 0..<count {
                if p[i].isFinite { pendingZeros += 1 } else { nonFinite += 1 }
            }
            return
        }
        let n = bins, r = halfRange, scale = Double(n) / (2 * r)
        counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<count {
                let x = p[i]
                guard x.isFinite else { nonFinite += 1; continue }
                var b = Int((Double(x) + r) * scale)
                if b >= n { b = n - 1 }
                if b < 0 { b = 0 }
                c[b] += 1
            }
        }
    }

    /// Doubles `halfRange` (merging bin pairs) until `|x| ≤ halfRange`; sets the first range.
    private mutating func grow(toCover m: Double) {
        if halfRange == 0 {
            var r = 1.0
            while r < m { r *= 2 }
            while r / 2 >= m { r /= 2 }
            halfRange = r
            if pendingZeros > 0 {
                counts[bins / 2] += pendingZeros
                pendingZeros = 0
            }
            return
        }
        while halfRange < m {
            let n = bins
            var merged = [UInt64](repeating: 0, count: n)
            for k in 0..<(n / 2) { merged[n / 4 + k] = counts[2 * k] + counts[2 * k + 1] }
            counts = merged
            halfRange *= 2
        }
    }
}
