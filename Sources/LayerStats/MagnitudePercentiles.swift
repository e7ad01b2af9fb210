/// Percentiles of `|x|` from a histogram with one bin per bfloat16 value of `|x|`.
///
/// Each value goes into bin `bitPattern(|x|) >> 16` (32 768 bins: every exponent, 7 mantissa bits), so counting
/// costs one shift and one increment and the memory is fixed (256 KB) whatever the number of values. A
/// percentile is the nearest-rank percentile (the smallest `v` with at least `p`% of the values `≤ v`), returned
/// as the **upper edge** of its bin, capped at the largest `|x|` seen: never below the exact value and above it by
/// less than one bin, i.e. by a relative error below `2⁻⁷` (0.78%). This is the "fine histogram" option rather
/// than an exact sort (which would need every value of every layer in memory).
public struct MagnitudePercentiles: Sendable, Equatable {
    /// Count per bfloat16 bin of `|x|`; NaN lands in the bins above +inf.
    public private(set) var counts: [UInt64]
    /// Values added.
    public private(set) var total: UInt64 = 0
    /// Largest `|x|` seen (NaN ignored).
    public private(set) var maxMagnitude: Float = 0

    /// Bins: 2¹⁵ (sign bit dropped from the 16 high bits).
    public static let binCount = 1 << 15

    public init() {
        counts = [UInt64](repeating: 0, count: MagnitudePercentiles.binCount)
    }

    /// Adds `count` values starting at `p`.
    public mutating func add(_ p: UnsafePointer<Float>, count: Int) {
        guard count > 0 else { return }
        var m = maxMagnitude
        counts.withUnsafeMutableBufferPointer { c in
            for i in 0..<count {
                let a = abs(p[i])
                c[Int(a.bitPattern >> 16)] += 1
                if a > m { m = a }
            }
        }
        maxMagnitude = m
        total += UInt64(count)
    }

    /// Adds every value of a buffer.
    public mutating func add(_ values: UnsafeBufferPointer<Float>) {
        guard let p = values.baseAddress else { return }
        add(p, count: values.count)
    }

    /// The `p`-th percentile (0 < p ≤ 100) of `|x|` as described in the type comment; NaN if nothing was added.
    public func percentile(_ p: Double) -> Double {
        precondition(p > 0 && p <= 100, "MagnitudePercentiles: p must be in (0, 100], got \(p)")
        guard total > 0 else { return .nan }
        // Nearest rank: k = ceil(p/100 · N), 1-based. Computed in integers where p has ≤ 4 decimals.
        let scaled = UInt64((p * 10_000).rounded())
        let num = scaled * total
        var k = num / 1_000_000
        if num % 1_000_000 != 0 { k += 1 }
        k = max(1, min(k, total))
        var seen: UInt64 = 0
        for (bin, c) in counts.enumerated() where c > 0 {
            seen += c
            if seen >= k {
                if bin >= 0x7F80 { return bin == 0x7F80 ? .infinity : .nan }
                let next = UInt32(bin + 1) << 16
                let upper = Float(bitPattern: next)
                return Double(upper.isNaN ? .infinity : min(upper, maxMagnitude))
            }
        }
        return Double(maxMagnitude)
    }

    /// The percentiles written to statistics files: 99, 99.9 and 99.99.
    public static let reported: [Double] = [99, 99.9, 99.99]
    /// Their HDF5 names (`abs_p99`, `abs_p99_9`, `abs_p99_99`).
    public static let reportedNames = ["abs_p99", "abs_p99_9", "abs_p99_99"]
}
