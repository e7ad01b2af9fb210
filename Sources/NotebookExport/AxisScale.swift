import Foundation

/// Maps data values to pixels along one axis, linearly (`log10` first when `logarithmic`), and chooses tick
/// positions: 1-2-5 steps for linear axes, decades for logarithmic ones.
public struct AxisScale: Sendable {
    /// Data interval shown (for a log axis, the values themselves, both > 0).
    public var lo: Double
    public var hi: Double
    /// Pixel positions of `lo` and `hi` (`hi` may be smaller, as for y axes).
    public var pixelLo: Double
    public var pixelHi: Double
    public var logarithmic: Bool

    public init(lo: Double, hi: Double, pixelLo: Double, pixelHi: Double, logarithmic: Bool = false) {
        self.lo = lo
        self.hi = hi
        self.pixelLo = pixelLo
        self.pixelHi = pixelHi
        self.logarithmic = logarithmic
    }

    /// The pixel position of `value`.
    public func map(_ value: Double) -> Double {
        let (a, b, v) = logarithmic ? (log10(lo), log10(hi), log10(max(value, lo))) : (lo, hi, value)
        guard b != a else { return (pixelLo + pixelHi) / 2 }
        return pixelLo + (v - a) / (b - a) * (pixelHi - pixelLo)
    }

    /// Tick values inside `lo…hi`: multiples of a 1-2-5 step giving about `target` ticks, or powers of ten
    /// (every k-th decade so that at most `target + 2` remain) on a log axis.
    public func ticks(target: Int = 6) -> [Double] {
        if logarithmic {
            let a = Int(ceil(log10(lo) - 1e-9)), b = Int(floor(log10(hi) + 1e-9))
            guard a <= b else { return [] }
            let every = max(1, Int(ceil(Double(b - a + 1) / Double(target + 2))))
            return stride(from: a, through: b, by: every).map { pow(10, Double($0)) }
        }
        let step = Self.niceStep(span: hi - lo, target: target)
        let first = ceil(lo / step - 1e-9)
        var out: [Double] = []
        var k = first
        while k * step <= hi + step * 1e-9 {
            out.append(k * step == 0 ? 0 : k * step)
            k += 1
        }
        return out
    }

    /// Tick label text: as many decimals as the step needs (`0.005` → 3), or `1`, `10`, `100`, `1k`… on a log axis.
    public func label(_ value: Double, target: Int = 6) -> String {
        if logarithmic { return Self.compactCount(value) }
        let step = Self.niceStep(span: hi - lo, target: target)
        let decimals = max(0, Int(-floor(log10(step) + 1e-9)))
        return SVGCanvas.num(value, digits: decimals).replacingOccurrences(of: "-", with: "−")
    }

    /// A 1, 2 or 5 times a power of ten near `span / target`.
    public static func niceStep(span: Double, target: Int) -> Double {
        guard span > 0, span.isFinite else { return 1 }
        let raw = span / Double(max(1, target))
        let p = pow(10, floor(log10(raw)))
        let f = raw / p
        return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p
    }

    /// `lo…hi` of `values` widened by `padding` of the span on each side (or ±`minimumHalfSpan` around a single value).
    public static func paddedRange(_ values: [Double], padding: Double = 0.08, minimumHalfSpan: Double) -> (Double, Double) {
        let finite = values.filter(\.isFinite)
        guard let a = finite.min(), let b = finite.max() else { return (0, 1) }
        if b - a < 2 * minimumHalfSpan * 0.2 {
            let mid = (a + b) / 2
            return (mid - minimumHalfSpan, mid + minimumHalfSpan)
        }
        let pad = (b - a) * padding
        return (a - pad, b + pad)
    }

    /// `1`, `10`, `100`, `1k`, `10k`, `100k`, `1M`, `10M`, `100M`, `1G`…
    static func compactCount(_ v: Double) -> String {
        let units: [(Double, String)] = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in units where v >= scale {
            return SVGCanvas.num(v / scale, digits: 0) + suffix
        }
        return SVGCanvas.num(v, digits: 0)
    }
}
