import TensorCore
import _CKernels

/// Where a quantized layer takes its activation (or output) parameters from at run time.
public enum ActivationRange: Hashable, Sendable {
    /// From the min/max of the whole `[rows, K]` input of each call (padding rows included, like PyTorch).
    case dynamicPerTensor
    /// From the min/max of each row of each call.
    case dynamicPerRow
    /// Fixed parameters from a calibration pass (one entry).
    case fixed(QuantParams)
    /// Fixed per-embedding-group parameters (one entry per group) and their layout; only `EmbeddingGroupLinear`
    /// runs these.
    case grouped(EmbeddingGroups, QuantParams)

    /// The run-time source for `scheme`'s input (or, with `output`, output) range, given the calibration for
    /// static ranges.
    static func make(_ scheme: QuantScheme, calibrated: Calibration?, output: Bool = false, layer: String) throws -> ActivationRange {
        switch scheme.range {
        case .dynamicPerTensor: return .dynamicPerTensor
        case .dynamicPerRow: return .dynamicPerRow
        case .staticMinMax, .staticEMA, .staticPercentile:
            guard let calibration = calibrated, let calibrated = output ? calibration.output : calibration.input else {
                throw QuantizationError.missingCalibration(layer: layer)
            }
            if !output, case let .perEmbeddingGroup(groups, _) = scheme.granularity {
                guard let layout = calibration.inputGroups, layout.groups == groups, calibrated.count == groups else {
                    throw QuantizationError.layerShape(layer: layer, reason: "per_embedding_group needs a calibrated layout and \(groups) parameter entries (one per group)")
                }
                try layout.validate(layer: layer)
                return .grouped(layout, calibrated)
            }
            guard calibrated.count == 1 else {
                throw QuantizationError.layerShape(layer: layer, reason: "calibrated activation parameters must be per tensor (1 entry), got \(calibrated.count)")
            }
            return .fixed(calibrated)
        }
    }

    /// Bytes of stored parameters (only fixed ranges store any).
    var storageBytes: Int {
        switch self {
        case let .fixed(p): return p.storageBytes
        case let .grouped(layout, p): return p.storageBytes + (layout.isIdentity ? 0 : 4 * layout.width)
        case .dynamicPerTensor, .dynamicPerRow: return 0
        }
    }
}

/// Per-call activation parameters: one entry (per tensor) or one per row, laid out for `qb_requant_f32`.
struct RowParams {
    var scales: [Float]
    var inverseScales: [Float]
    var zeroPoints: [Int32]
    var perRow: Bool

    init(count: Int, perRow: Bool) {
        scales = [Float](repeating: 1, count: count)
        inverseScales = [Float](repeating: 1, count: count)
        zeroPoints = [Int32](repeating: 0, count: count)
        self.perRow = perRow
    }

    init(_ e: QuantScheme.ParamEntry) {
        scales = [e.scale]
        inverseScales = [e.inverseScale]
        zeroPoints = [e.zeroPoint]
        perRow = false
    }
}

extension ActivationRange {
    /// Parameters for `x[rows, cols]` under `scheme`: computed from the data for dynamic ranges (per-tensor
    /// min/max runs in parallel), copied for fixed ones.
    func resolve(_ x: UnsafePointer<Float>, rows: Int, cols: Int, scheme: QuantScheme) -> RowParams {
        switch self {
        case let .fixed(p):
            return RowParams(QuantScheme.ParamEntry(scale: p.scales[0], inverseScale: p.inverseScales[0], zeroPoint: p.zeroPoints[0]))
        case .grouped:
            preconditionFailure("per-embedding-group ranges are resolved by EmbeddingGroupLinear only (LayerScheme.validate)")
        case .dynamicPerTensor:
            let (lo, hi) = parallelMinMax(x, count: rows * cols)
            return RowParams(scheme.chooseParams(min: lo, max: hi))
        case .dynamicPerRow:
            var p = RowParams(count: rows, perRow: true)
            p.scales.withUnsafeMutableBufferPointer { s in
                p.inverseScales.withUnsafeMutableBufferPointer { inv in
                    p.zeroPoints.withUnsafeMutableBufferPointer { z in
                        Parallel.forChunks(rows, minChunk: 16) { range in
                            var lo: Float = 0, hi: Float = 0
                            for r in range {
                                qb_minmax_f32(x + r * cols, cols, &lo, &hi)
                                let e = scheme.chooseParams(min: lo, max: hi)
                                s[r] = e.scale
                                inv[r] = e.inverseScale
                                z[r] = e.zeroPoint
                            }
                        }
                    }
                }
            }
            return p
        }
    }
}

/// Min and max of `x[0..<count]` (`ValueRange.measure`: split over `Parallel.threads` workers for large inputs);
/// (0, 0) for no values.
func parallelMinMax(_ x: UnsafePointer<Float>, count: Int) -> (Float, Float) {
    guard count > 0 else { return (0, 0) }
    let r = ValueRange.measure(x, count: count)
    return (r.min, r.max)
}

/// Fake-quantizes `y[rows, cols]` in place with `scheme` and `range` (output re-quantization, or activations
/// of a fake-quant layer): parameters per call / per row / fixed, then `ŷ = (clamp(nearbyint(y·s⁻¹)+z) − z)·s`.
func fakeQuantizeRows(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scheme: QuantScheme, range: ActivationRange) {
    guard rows > 0, cols > 0 else { return }
    let p = range.resolve(UnsafePointer(y), rows: rows, cols: cols, scheme: scheme)
    fakeQuantizeRows(y, rows: rows, cols: cols, scheme: scheme, params: p)
}

/// As above with parameters already resolved.
func fakeQuantizeRows(_ y: UnsafeMutablePointer<Float>, rows: Int, cols: Int, scheme: QuantScheme, params p: RowParams) {
    guard rows > 0, cols > 0 else { return }
    let params = QuantParams(scales: p.scales, inverseScales: p.inverseScales, zeroPoints: p.zeroPoints,
                             qmin: scheme.qmin, qmax: scheme.qmax)
    Parallel.forChunks(rows, minChunk: 16) { r in
        if p.perRow {
            for row in r { params.fakeQuantize(y + row * cols, count: cols, entry: row) }
        } else {
            params.fakeQuantize(y + r.lowerBound * cols, count: r.count * cols, entry: 0)
        }
    }
}

/// Quantizes rows `rows` of `x[·, cols]` into `q[rows.count, cols]` (bytes: `UInt8` codes for unsigned schemes,
/// `Int8` for signed ones) with `params` (entry `r` for row r when per row, else entry 0):
/// `q = clamp(nearbyint(x · s⁻¹) + z, qmin, qmax)` (`qb_quantize_{u8,s8}`). What `QuantizedLinear` feeds its GEMM.
func quantizeRows(_ x: UnsafePointer<Float>, rows: Range<Int>, cols: Int, params a: RowParams, scheme: QuantScheme,
                  into q: UnsafeMutableRawPointer) {
    let m = rows.count, lo = rows.lowerBound
    for r in 0..<m where a.perRow || r == 0 {
        let e = a.perRow ? lo + r : 0
        let count = a.perRow ? cols : m * cols
        let src = x + (lo + r) * cols, dst = q + r * cols
        if scheme.signed {
            qb_quantize_s8(src, Int32(count), a.inverseScales[e], a.zeroPoints[e], scheme.qmin, scheme.qmax,
                           dst.assumingMemoryBound(to: Int8.self))
        } else {
            qb_quantize_u8(src, Int32(count), a.inverseScales[e], a.zeroPoints[e], scheme.qmin, scheme.qmax,
                           dst.assumingMemoryBound(to: UInt8.self))
        }
    }
}

/// The integer codes and parameters an integer layer computes for `x[rows, cols]` under a dynamic activation
/// `scheme` (per tensor or per row), exactly as `QuantizedLinear.forward` does before its GEMM: `params` has one
/// entry (per tensor) or `rows` (per row), `codes` is `[rows, cols]`. For tests against reference formulas.
/// - Precondition: `scheme.range` is dynamic and `x.count == rows · cols`.
public func dynamicActivationCodes(_ x: [Float], rows: Int, cols: Int, scheme: QuantScheme)
    -> (codes: [Int32], params: [QuantScheme.ParamEntry]) {
    precondition(scheme.range.isDynamic && x.count == rows * cols, "dynamicActivationCodes: dynamic scheme, [rows, cols] input")
    guard rows > 0, cols > 0 else { return ([], []) }
    let range: ActivationRange = scheme.range == .dynamicPerRow ? .dynamicPerRow : .dynamicPerTensor
    return x.withUnsafeBufferPointer { xp in
        let p = range.resolve(xp.baseAddress!, rows: rows, cols: cols, scheme: scheme)
        let q = UnsafeMutableRawPointer.allocate(byteCount: rows * cols, alignment: 64)
        defer { q.deallocate() }
        quantizeRows(xp.baseAddress!, rows: 0..<rows, cols: cols, params: p, scheme: scheme, into: q)
        let codes = (0..<(rows * cols)).map { i in
            scheme.signed ? Int32(q.load(fromByteOffset: i, as: Int8.self)) : Int32(q.load(fromByteOffset: i, as: UInt8.self))
        }
        let params = p.scales.indices.map { QuantScheme.ParamEntry(scale: p.scales[$0], inverseScale: p.inverseScales[$0], zeroPoint: p.zeroPoints[$0]) }
        return (codes, params)
    }
}
