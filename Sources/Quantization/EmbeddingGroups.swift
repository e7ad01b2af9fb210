import _CKernels

/// The layout of per-embedding-group (PEG) activations for an input of width K (Bondarenko et al. 2021,
/// "Understanding and Overcoming the Challenges of Efficient Transformer Quantization", §4;
/// Qualcomm-AI-research/transformer-quantization `quantization/range_estimators.py`, `CurrentMinMaxEstimator`
/// with `n_groups` and the range-based permutation).
///
/// Position `j` of the permuted input holds column `order[j]`; group `g` is the positions
/// `[g · K/G, (g + 1) · K/G)` (G must divide K, as the paper's `assert x.size(0) % ng == 0`). Without permutation
/// `order` is the identity. With it, `order` sorts the columns by their calibrated range `max_k − min_k`
/// ascending, ties by column index (a stable sort; the paper's `torch.argsort` does not specify ties), so the
/// widest columns — the outlier dimensions — share the last group.
///
/// The layer applies the same `order` to its weight's input columns, so `x · Wᵀ = x[:, order] · W[:, order]ᵀ`.
public struct EmbeddingGroups: Codable, Hashable, Sendable {
    /// `order[j]` = the input column at permuted position `j` (a permutation of 0..<K).
    public var order: [Int]
    /// Number of groups G.
    public var groups: Int

    /// A layout; `order` must be a permutation of 0..<K and G must divide K (checked by `validate`).
    public init(order: [Int], groups: Int) {
        self.order = order
        self.groups = groups
    }

    /// Input width K.
    public var width: Int { order.count }
    /// Columns per group, K / G.
    public var groupWidth: Int { groups > 0 ? width / groups : 0 }
    /// Group boundaries in permuted positions: G + 1 values `g · K/G`.
    public var starts: [Int] { (0...groups).map { $0 * groupWidth } }
    /// True when `order` is the identity (no gather needed).
    public var isIdentity: Bool { order.indices.allSatisfy { order[$0] == $0 } }

    /// - Throws: `QuantizationError.layerShape` when G does not divide K or `order` is not a permutation.
    public func validate(layer: String) throws {
        guard groups > 0, width % groups == 0, width > 0 else {
            throw QuantizationError.layerShape(layer: layer, reason: "per_embedding_group: \(groups) groups do not divide the input width \(width)")
        }
        var seen = [Bool](repeating: false, count: width)
        for c in order {
            guard c >= 0, c < width, !seen[c] else {
                throw QuantizationError.layerShape(layer: layer, reason: "per_embedding_group: the column order is not a permutation of 0..<\(width)")
            }
            seen[c] = true
        }
    }

    /// The layout and per-group ranges from per-column ranges `mins[k]`, `maxs[k]` (k < K): `order` as in the
    /// type comment, then group g's range is `[min over its columns of mins, max over its columns of maxs]`
    /// (the min/max of the group's values, as the paper's per-group estimator computes it).
    public static func fromColumnRanges(mins: [Float], maxs: [Float], groups: Int, permute: Bool)
        -> (layout: EmbeddingGroups, mins: [Float], maxs: [Float]) {
        precondition(mins.count == maxs.count)
        let k = mins.count
        var order = Array(0..<k)
        if permute {
            let range = (0..<k).map { maxs[$0] - mins[$0] }
            order.sort { range[$0] < range[$1] || (range[$0] == range[$1] && $0 < $1) }
        }
        let layout = EmbeddingGroups(order: order, groups: groups)
        let w = layout.groupWidth
        var gMin = [Float](repeating: .infinity, count: groups), gMax = [Float](repeating: -.infinity, count: groups)
        for g in 0..<groups where w > 0 {
            for j in (g * w)..<((g + 1) * w) {
                gMin[g] = Swift.min(gMin[g], mins[order[j]])
                gMax[g] = Swift.max(gMax[g], maxs[order[j]])
            }
        }
        return (layout, gMin, gMax)
    }

    /// The integer codes of `x[rows, K]` in permuted column order: `q[r, j] = clamp(nearbyint(x[r, order[j]] ·
    /// s_g⁻¹) + z_g, qmin, qmax)` with g the group of position j (`qb_quantize_{u8,s8}`), written as bytes
    /// (`UInt8` for unsigned schemes, `Int8` bit patterns for signed ones) into `q[rows, K]`.
    /// - Precondition: `params` has G entries.
    public func quantize(_ x: UnsafePointer<Float>, rows: Int, params: QuantParams, signed: Bool,
                         into q: UnsafeMutableRawPointer) {
        precondition(params.count == groups, "EmbeddingGroups.quantize: \(params.count) parameter entries for \(groups) groups")
        let k = width, w = groupWidth
        guard rows > 0, k > 0 else { return }
        let gather = isIdentity ? nil : UnsafeMutablePointer<Float>.allocate(capacity: k)
        defer { gather?.deallocate() }
        for r in 0..<rows {
            var src = x + r * k
            if let gather {
                for j in 0..<k { gather[j] = src[order[j]] }
                src = UnsafePointer(gather)
            }
            for g in 0..<groups {
                let dst = q + r * k + g * w
                if signed {
                    qb_quantize_s8(src + g * w, Int32(w), params.inverseScales[g], params.zeroPoints[g], params.qmin,
                                   params.qmax, dst.assumingMemoryBound(to: Int8.self))
                } else {
                    qb_quantize_u8(src + g * w, Int32(w), params.inverseScales[g], params.zeroPoints[g], params.qmin,
                                   params.qmax, dst.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
    }
}

/// Calibration observer of per-embedding-group activations: running min and max of every input column over the
/// calibration pass (`[rows, K]` blocks), turned into the PEG layout and one parameter set per group
/// (`EmbeddingGroups.fromColumnRanges`, then the scheme's `scaleRule`).
public struct EmbeddingGroupObserver: Observer {
    public let scheme: QuantScheme
    /// G.
    public let groups: Int
    /// Sort columns by range before grouping.
    public let permute: Bool
    /// Running minimum per column (empty before the first observation).
    public private(set) var mins: [Float] = []
    /// Running maximum per column.
    public private(set) var maxs: [Float] = []

    /// - Precondition: `scheme.granularity` is `.perEmbeddingGroup`.
    public init(scheme: QuantScheme) {
        guard case let .perEmbeddingGroup(groups, permute) = scheme.granularity else {
            preconditionFailure("EmbeddingGroupObserver: the scheme is not per_embedding_group")
        }
        self.scheme = scheme
        self.groups = groups
        self.permute = permute
    }

    public mutating func observe(_ values: UnsafeBufferPointer<Float>, rows: Int, cols: Int) {
        precondition(values.count >= rows * cols, "EmbeddingGroupObserver: buffer smaller than [\(rows), \(cols)]")
        guard rows > 0, cols > 0, let base = values.baseAddress else { return }
        if mins.isEmpty {
            mins = [Float](repeating: .infinity, count: cols)
            maxs = [Float](repeating: -.infinity, count: cols)
        }
        precondition(mins.count == cols, "EmbeddingGroupObserver: \(cols) columns now, \(mins.count) before")
        for r in 0..<rows {
            let row = base + r * cols
            for c in 0..<cols {
                let v = row[c]
                if v < mins[c] { mins[c] = v }   // NaN is skipped, as qb_minmax_f32
                if v > maxs[c] { maxs[c] = v }
            }
        }
    }

    /// The layout (nil before any observation).
    public var layout: EmbeddingGroups? {
        mins.isEmpty ? nil : EmbeddingGroups.fromColumnRanges(mins: mins, maxs: maxs, groups: groups, permute: permute).layout
    }

    /// One entry per group (G entries of scale 1, zero point 0 before any observation).
    public func parameters() -> QuantParams {
        if mins.isEmpty {
            return scheme.params(mins: [Float](repeating: .infinity, count: groups), maxs: [Float](repeating: -.infinity, count: groups))
        }
        let r = EmbeddingGroups.fromColumnRanges(mins: mins, maxs: maxs, groups: groups, permute: permute)
        return scheme.params(mins: r.mins, maxs: r.maxs)
    }
}
