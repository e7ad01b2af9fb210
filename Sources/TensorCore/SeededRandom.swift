/// A small, fast, seedable generator (SplitMix64) with normal samples by Box–Muller, so that random
/// weights and data shuffles are reproducible across runs and machines.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64
    private var spare: Float?

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (`n > 0`), unbiased: Lemire's multiply-shift with rejection ("Fast Random Integer
    /// Generation in an Interval", 2019) on `next()` alone, so the sequence is the same on every platform and
    /// Swift version (the standard library's `random(in:using:)` does not promise its algorithm).
    public mutating func index(below n: Int) -> Int {
        precondition(n > 0, "SeededRandom.index(below:): n must be positive, got \(n)")
        let s = UInt64(n)
        var m = next().multipliedFullWidth(by: s)
        if m.low < s {
            let threshold = (0 &- s) % s   // 2^64 mod s: the low words that would bias the result
            while m.low < threshold { m = next().multipliedFullWidth(by: s) }
        }
        return Int(m.high)
    }

    /// Uniform in (0, 1].
    public mutating func unit() -> Double { (Double(next() >> 11) + 1) / 9_007_199_254_740_992.0 }

    /// A sample of N(mean, std²).
    public mutating func normal(mean: Float = 0, std: Float = 1) -> Float {
        if let s = spare { spare = nil; return mean + std * s }
        let u1 = unit(), u2 = unit()
        let r = (-2 * _log(u1)).squareRoot()
        let theta = 2 * Double.pi * u2
        spare = Float(r * _sin(theta))
        return mean + std * Float(r * _cos(theta))
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) private func _log(_ x: Double) -> Double { Glibc.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Glibc.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Glibc.cos(x) }
#else
import Darwin
@inline(__always) private func _log(_ x: Double) -> Double { Darwin.log(x) }
@inline(__always) private func _sin(_ x: Double) -> Double { Darwin.sin(x) }
@inline(__always) private func _cos(_ x: Double) -> Double { Darwin.cos(x) }
#endif
