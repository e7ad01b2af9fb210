import _Support

/// Outlier-channel statistics of one activation tensor `x[rows, width]` (a linear layer's input or a block's
/// residual sum) over every call of every batch, after Bondarenko et al. 2021 ("Understanding and Overcoming the
/// Challenges of Efficient Transformer Quantization", §3): a few hidden dimensions carry values far larger than
/// the rest, on a few token positions.
///
/// Kept per channel `j` (column):
/// - `channelMin[j]`, `channelMax[j]` over the real rows (padding excluded, like `RangeAccumulator`);
/// - the `keptRows` rows with the largest `|x[r, j]|` over all rows, padding included, each with its `TokenClass`
///   (ties: the earlier row wins). Rows arrive in batch order, so the choice is deterministic.
/// `classRows[c]` counts the rows of each class seen. Memory: `width · keptRows` entries; cost per value: one
/// compare against the channel's current `keptRows`-th largest `|x|` (a min-heap per channel).
public struct ChannelOutliers: Sendable {
    /// `N`: rows kept per channel.
    public let keptRows: Int
    /// Channels, fixed by the first call (0 before).
    public private(set) var width = 0
    /// Per channel minimum over real rows `[width]` (+inf before any).
    public private(set) var channelMin: [Float] = []
    /// Per channel maximum over real rows `[width]` (−inf before any).
    public private(set) var channelMax: [Float] = []
    /// Real rows seen.
    public private(set) var realRows = 0
    /// Rows seen per `TokenClass` (by raw value), padding included.
    public private(set) var classRows = [Int](repeating: 0, count: TokenClass.allCases.count)

    // Per channel j, a min-heap in slots j·N ..< j·N + heapCount[j]: the root is the weakest kept row.
    private var heapMagnitude: [Float] = []
    private var heapRow: [Int] = []
    private var heapClass: [UInt8] = []
    private var heapCount: [Int] = []
    private var rowsSeen = 0

    /// Empty statistics keeping `keptRows` (≥ 1) rows per channel.
    public init(keptRows: Int) {
        precondition(keptRows >= 1, "ChannelOutliers: keptRows must be at least 1")
        self.keptRows = keptRows
    }

    /// Adds `values[rows, width]`; `classes[r]` is row `r`'s class (`.padding` rows are left out of the ranges).
    public mutating func add(_ values: UnsafeBufferPointer<Float>, rows: Int, width: Int, classes: [TokenClass]) {
        precondition(values.count >= rows * width && classes.count == rows, "ChannelOutliers: bad shape")
        guard rows > 0, width > 0, let base = values.baseAddress else { return }
        if self.width == 0 {
            self.width = width
            channelMin = [Float](repeating: .infinity, count: width)
            channelMax = [Float](repeating: -.infinity, count: width)
            heapMagnitude = [Float](repeating: 0, count: width * keptRows)
            heapRow = [Int](repeating: 0, count: width * keptRows)
            heapClass = [UInt8](repeating: 0, count: width * keptRows)
            heapCount = [Int](repeating: 0, count: width)
        }
        precondition(self.width == width, "ChannelOutliers: width changed from \(self.width) to \(width)")
        let n = keptRows
        for r in 0..<rows {
            let row = base + r * width, c = classes[r], real = c != .padding, rowIndex = rowsSeen + r
            classRows[c.rawValue] += 1
            if real { realRows += 1 }
            for j in 0..<width {
                let x = row[j]
                if real {
                    if x < channelMin[j] { channelMin[j] = x }
                    if x > channelMax[j] { channelMax[j] = x }
                }
                let m = abs(x)
                guard m >= 0 else { continue }   // NaN is never an outlier row
                let count = heapCount[j], slot = j * n
                if count < n {
                    push(slot: slot, count: count, magnitude: m, row: rowIndex, tokenClass: UInt8(c.rawValue))
                    heapCount[j] = count + 1
                } else if m > heapMagnitude[slot] {   // later row: an equal magnitude does not replace
                    replaceRoot(slot: slot, magnitude: m, row: rowIndex, tokenClass: UInt8(c.rawValue))
                }
            }
        }
        rowsSeen += rows
    }

    /// `max(|channelMin[j]|, |channelMax[j]|)` `[width]`; NaN before any real row.
    public var channelAbsMax: [Float] {
        guard realRows > 0 else { return [Float](repeating: .nan, count: width) }
        return zip(channelMin, channelMax).map { Swift.max(-$0, $1) }
    }

    /// The kept rows of channel `j`, strongest first: `(|x|, class)`.
    public func topRows(channel j: Int) -> [(magnitude: Float, tokenClass: TokenClass)] {
        let slot = j * keptRows
        let kept = (0..<heapCount[j]).map { (heapMagnitude[slot + $0], heapRow[slot + $0], heapClass[slot + $0]) }
        return kept.sorted { $0.0 > $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }
            .map { ($0.0, TokenClass(rawValue: Int($0.2))!) }
    }

    /// The top-`k` outlier channels and their token classes; `factor` sets the outlier-channel threshold.
    public func summary(topK k: Int, factor: Double = OutlierSummary.defaultFactor) -> OutlierSummary {
        let absMax = channelAbsMax.map(Double.init)
        let finite = absMax.filter { !$0.isNaN }
        let largest = finite.max() ?? .nan
        let median = finite.isEmpty ? Double.nan : finite.median
        let order = absMax.indices.sorted { a, b in
            switch (absMax[a].isNaN, absMax[b].isNaN) {
            case (false, false): return absMax[a] > absMax[b] || (absMax[a] == absMax[b] && a < b)
            case (false, true): return true
            case (true, false): return false
            case (true, true): return a < b
            }
        }
        let top = Array(order.prefix(Swift.max(0, k)))
        let counts = top.map { j -> [Int] in
            var c = [Int](repeating: 0, count: TokenClass.allCases.count)
            for r in topRows(channel: j) { c[r.tokenClass.rawValue] += 1 }
            return c
        }
        return OutlierSummary(
            channelAbsMax: absMax, absMax: largest, medianAbsMax: median, factor: factor,
            outlierChannels: median.isNaN ? 0 : finite.filter { $0 > factor * median }.count,
            topChannels: top, topAbsMax: top.map { absMax[$0] }, topShare: top.map { absMax[$0] / largest },
            topRatioToMedian: top.map { absMax[$0] / median }, topClassCounts: counts)
    }

    // MARK: - Heap (weaker = smaller |x|, or equal |x| and later row)

    private func weaker(_ a: Int, _ b: Int) -> Bool {
        heapMagnitude[a] < heapMagnitude[b] || (heapMagnitude[a] == heapMagnitude[b] && heapRow[a] > heapRow[b])
    }

    private mutating func swapSlots(_ a: Int, _ b: Int) {
        heapMagnitude.swapAt(a, b)
        heapRow.swapAt(a, b)
        heapClass.swapAt(a, b)
    }

    private mutating func push(slot: Int, count: Int, magnitude: Float, row: Int, tokenClass: UInt8) {
        var i = count
        heapMagnitude[slot + i] = magnitude
        heapRow[slot + i] = row
        heapClass[slot + i] = tokenClass
        while i > 0 {
            let parent = (i - 1) / 2
            guard weaker(slot + i, slot + parent) else { break }
            swapSlots(slot + i, slot + parent)
            i = parent
        }
    }

    private mutating func replaceRoot(slot: Int, magnitude: Float, row: Int, tokenClass: UInt8) {
        heapMagnitude[slot] = magnitude
        heapRow[slot] = row
        heapClass[slot] = tokenClass
        let n = keptRows
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var weakest = i
            if l < n, weaker(slot + l, slot + weakest) { weakest = l }
            if r < n, weaker(slot + r, slot + weakest) { weakest = r }
            guard weakest != i else { return }
            swapSlots(slot + i, slot + weakest)
            i = weakest
        }
    }
}

/// The outlier channels of one tensor (`ChannelOutliers.summary`); `k' = min(k, width)` entries per top list,
/// strongest channel first.
public struct OutlierSummary: Sendable {
    /// The default outlier-channel threshold: `absmax_j > 6 · median_j absmax_j`.
    public static let defaultFactor = 6.0
    /// `max |x|` per channel over real rows `[width]`.
    public var channelAbsMax: [Double]
    /// `max_j channelAbsMax[j]`: the tensor's absmax.
    public var absMax: Double
    /// Median over channels of `channelAbsMax` (`_Support` median).
    public var medianAbsMax: Double
    /// The threshold factor used for `outlierChannels`.
    public var factor: Double
    /// Channels with `channelAbsMax[j] > factor · medianAbsMax`.
    public var outlierChannels: Int
    /// The `k'` channels with the largest absmax (ties: lower index).
    public var topChannels: [Int]
    /// Their absmax.
    public var topAbsMax: [Double]
    /// `absmax_j / absMax`: the channel's share of the tensor's range (1 for the first).
    public var topShare: [Double]
    /// `absmax_j / medianAbsMax`.
    public var topRatioToMedian: [Double]
    /// `[k'][TokenClass]`: classes of the channel's kept rows (its `keptRows` largest `|x|`).
    public var topClassCounts: [[Int]]
}
