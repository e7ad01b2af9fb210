/// Scales and zero points of one quantized tensor: one entry per tensor, per channel, per group or per row.
///
///     q = clamp(nearbyint(x · inverseScales[i]) + zeroPoints[i], qmin, qmax)     (ties to even)
///     x̂ = (q − zeroPoints[i]) · scales[i]
///
/// The multiplier `inverseScales[i]` is stored rather than recomputed because the reference implementations
/// quantize by multiplying: fbgemm / PyTorch use `1.0f / scale` (float), Q8BERT uses `127 / max|x|`, which is
/// not always the same float as `1 / (max|x| / 127)`.
public struct QuantParams: Codable, Hashable, Sendable {
    /// Dequantization step per entry.
    public var scales: [Float]
    /// Quantization multiplier per entry (see type comment).
    public var inverseScales: [Float]
    /// Integer that represents real 0, per entry.
    public var zeroPoints: [Int32]
    /// Codes are clamped to `qmin…qmax`.
    public var qmin: Int32
    /// Largest code.
    public var qmax: Int32

    enum CodingKeys: String, CodingKey {
        case scales
        case inverseScales = "inverse_scales"
        case zeroPoints = "zero_points"
        case qmin, qmax
    }

    /// - Precondition: the three arrays have the same length.
    public init(scales: [Float], inverseScales: [Float], zeroPoints: [Int32], qmin: Int32, qmax: Int32) {
        precondition(scales.count == inverseScales.count && scales.count == zeroPoints.count,
                     "QuantParams: \(scales.count) scales, \(inverseScales.count) inverse scales, \(zeroPoints.count) zero points")
        self.scales = scales
        self.inverseScales = inverseScales
        self.zeroPoints = zeroPoints
        self.qmin = qmin
        self.qmax = qmax
    }

    /// Parameters whose multipliers are `1.0f / scale` (the fbgemm / PyTorch convention).
    public init(scales: [Float], zeroPoints: [Int32], qmin: Int32, qmax: Int32) {
        self.init(scales: scales, inverseScales: scales.map { 1 / $0 }, zeroPoints: zeroPoints, qmin: qmin, qmax: qmax)
    }

    /// Number of entries (1 for per-tensor).
    public var count: Int { scales.count }

    /// `clamp(nearbyint(x · inverseScales[i]) + zeroPoints[i], qmin, qmax)`; NaN maps to `qmin`.
    @inlinable
    public func quantize(_ x: Float, at i: Int) -> Int32 {
        QuantParams.quantize(x, inverseScale: inverseScales[i], zeroPoint: zeroPoints[i], qmin: qmin, qmax: qmax)
    }

    /// `(q − zeroPoints[i]) · scales[i]`.
    @inlinable
    public func dequantize(_ q: Int32, at i: Int) -> Float {
        Float(q - zeroPoints[i]) * scales[i]
    }

    /// Quantize then dequantize (what a fake-quant node computes).
    @inlinable
    public func fakeQuantize(_ x: Float, at i: Int) -> Float {
        dequantize(quantize(x, at: i), at: i)
    }

    /// One value, with explicit parameters: same formula as `qb_quantize_{u8,s8}` in qb_qgemm.h.
    @inlinable @inline(__always)
    public static func quantize(_ x: Float, inverseScale: Float, zeroPoint: Int32, qmin: Int32, qmax: Int32) -> Int32 {
        let v = (x * inverseScale).rounded(.toNearestOrEven) + Float(zeroPoint)
        if !(v > Float(qmin)) { return qmin }   // also catches NaN
        if v >= Float(qmax) { return qmax }
        return Int32(v)
    }

    /// Quantizes then dequantizes `count` values in place with entry `i` of the parameters.
    func fakeQuantize(_ x: UnsafeMutablePointer<Float>, count: Int, entry i: Int) {
        let inv = inverseScales[i], zp = zeroPoints[i], s = scales[i], lo = qmin, hi = qmax
        for j in 0..<count {
            let q = QuantParams.quantize(x[j], inverseScale: inv, zeroPoint: zp, qmin: lo, qmax: hi)
            x[j] = Float(q - zp) * s
        }
    }

    /// Bytes these parameters take serialized: a 4-byte float scale and a 4-byte integer zero point per entry.
    public var storageBytes: Int { 8 * count }
}
