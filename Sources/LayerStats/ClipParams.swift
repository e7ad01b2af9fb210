/// The integer grid a value is quantized onto, as data: enough to tell whether the quantizer clips it.
///
/// A value `x` is **clipped** when its unclamped code `nearbyint(x · inverseScale) + zeroPoint` lies outside
/// `qmin…qmax` — the same test as the quantizer's clamp (`QuantParams.quantize`). The experiment layer supplies
/// these (LayerStats knows no schemes).
public struct ClipParams: Sendable, Equatable {
    /// Quantization multiplier `s⁻¹`.
    public var inverseScale: Float
    /// Code of real 0.
    public var zeroPoint: Int32
    /// Smallest code.
    public var qmin: Int32
    /// Largest code.
    public var qmax: Int32

    /// A grid with multiplier `inverseScale`, zero point and code range.
    public init(inverseScale: Float, zeroPoint: Int32, qmin: Int32, qmax: Int32) {
        self.inverseScale = inverseScale
        self.zeroPoint = zeroPoint
        self.qmin = qmin
        self.qmax = qmax
    }

    /// True when the quantizer's clamp changes `x`'s code (NaN counts as clipped: it maps to `qmin`).
    @inline(__always)
    public func clips(_ x: Float) -> Bool {
        let v = (x * inverseScale).rounded(.toNearestOrEven) + Float(zeroPoint)
        return !(v >= Float(qmin) && v <= Float(qmax))
    }

    /// The real interval the grid represents: `[(qmin − z)/s⁻¹, (qmax − z)/s⁻¹]`.
    public var representableRange: (lo: Double, hi: Double) {
        (Double(qmin - zeroPoint) / Double(inverseScale), Double(qmax - zeroPoint) / Double(inverseScale))
    }
}
