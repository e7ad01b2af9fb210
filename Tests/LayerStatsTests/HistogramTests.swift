import LayerStats
import XCTest

/// Fixed-bin histograms, |x| percentiles, range and clip statistics, weight statistics.
final class HistogramTests: XCTestCase {
    func testFixedBinsAndEdges() {
        var h = Histogram(bins: 8)
        h.add([-1, -0.6, 0, 0.3, 0.99, 1])
        XCTAssertEqual(h.halfRange, 1)
        XCTAssertEqual(h.edges, [-1, -0.75, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1])
        XCTAssertEqual(h.counts, [1, 1, 0, 0, 1, 1, 0, 2])     // x = R falls in the last bin
        XCTAssertEqual(h.total, 6)
    }

    func testGrowingRangeKeepsCountsExact() {
        // Adding in two steps (range 1, then 4) must equal adding everything at once with range 4.
        let first: [Float] = [-0.9, -0.2, 0.1, 0.5, 0.74, 0.99]
        let second: [Float] = [3.5, -2.2, 0.05]
        var grown = Histogram(bins: 16)
        grown.add(first)
        XCTAssertEqual(grown.halfRange, 1)
        grown.add(second)
        var direct = Histogram(bins: 16)
        direct.add(first + second)
        XCTAssertEqual(grown.halfRange, 4)
        XCTAssertEqual(grown.counts, direct.counts)
    }

    func testNonFiniteAndLeadingZeros() {
        var h = Histogram(bins: 4)
        h.add([0, 0, .nan, .infinity])
        XCTAssertEqual(h.nonFinite, 2)
        XCTAssertEqual(h.halfRange, 0)
        h.add([0.75])
        XCTAssertEqual(h.counts, [0, 0, 2, 1])
    }

    func testPercentilesBoundTheExactValue() {
        var rng = SystemRandomNumberGenerator()
        var values = (0..<50_000).map { _ in Float.random(in: -1...1, using: &rng) * Float.random(in: 0...3, using: &rng) }
        values.append(40)       // an outlier
        var p = MagnitudePercentiles()
        values.withUnsafeBufferPointer { p.add($0) }
        let sorted = values.map { abs($0) }.sorted()
        for q in [50.0, 99, 99.9, 99.99, 100] {
            let k = Int((q / 100 * Double(sorted.count)).rounded(.up))     // nearest rank, 1-based
            let exact = Double(sorted[max(1, k) - 1])
            let estimate = p.percentile(q)
            XCTAssertGreaterThanOrEqual(estimate, exact, "p\(q)")
            XCTAssertLessThanOrEqual(estimate, exact * (1 + 1.0 / 128), "p\(q)")
        }
        XCTAssertEqual(p.percentile(100), 40)
    }

    func testPercentileOfIdenticalValuesIsTheValue() {
        var p = MagnitudePercentiles()
        let v = [Float](repeating: -1.25, count: 10)
        v.withUnsafeBufferPointer { p.add($0) }
        XCTAssertEqual(p.percentile(99.99), 1.25)
    }

    func testClipParamsMatchTheQuantizerClamp() {
        // Symmetric int8 with s = 1/127.5 (PyTorch's per-tensor weight rule for max|w| = 1): w = 1 → 127.5 → 128
        // (ties to even) → clamped to 127: clipped. w = −1 → −128: in range.
        let c = ClipParams(inverseScale: 127.5, zeroPoint: 0, qmin: -128, qmax: 127)
        XCTAssertTrue(c.clips(1))
        XCTAssertFalse(c.clips(-1))
        XCTAssertFalse(c.clips(0.996))
        XCTAssertTrue(c.clips(.nan))
        let r = c.representableRange
        XCTAssertEqual(r.lo, -128 / 127.5, accuracy: 1e-6)
        XCTAssertEqual(r.hi, 127 / 127.5, accuracy: 1e-6)
    }

    func testRangeAccumulatorCountsClippedRealValues() {
        // Grid: codes 0…10 with scale 1 and zero point 5 → values −5…5 representable.
        let grid = ClipParams(inverseScale: 1, zeroPoint: 5, qmin: 0, qmax: 10)
        let x: [Float] = [1, -7, 2, 9, 100, -100]       // rows of width 2; row 2 is padding
        var acc = RangeAccumulator(bins: 8)
        x.withUnsafeBufferPointer { acc.add($0, rows: 3, width: 2, keep: [true, true, false], clip: [grid]) }
        XCTAssertEqual(acc.count, 4)
        XCTAssertEqual(acc.clipped, 2)                      // −7 and 9
        XCTAssertEqual(acc.fractionClipped, 0.5)
        XCTAssertEqual(acc.min, -7)
        XCTAssertEqual(acc.max, 9)
        XCTAssertEqual(acc.absMax, 9)
        XCTAssertEqual(acc.channelMin, [1, -7])
        XCTAssertEqual(acc.channelMax, [2, 9])
        XCTAssertEqual(acc.mean, 1.25, accuracy: 1e-12)
        XCTAssertEqual(acc.histogram.total, 4)
        // Per-row grids: row 0 with a wide grid clips nothing, row 1 with the narrow one clips 9.
        var perRow = RangeAccumulator(bins: 8)
        let wide = ClipParams(inverseScale: 0.01, zeroPoint: 0, qmin: -127, qmax: 127)
        x.withUnsafeBufferPointer { perRow.add($0, rows: 3, width: 2, keep: [true, true, false], clip: [wide, grid, grid]) }
        XCTAssertEqual(perRow.clipped, 1)
        var noGrid = RangeAccumulator()
        x.withUnsafeBufferPointer { noGrid.add($0, rows: 3, width: 2, keep: [true, true, true]) }
        XCTAssertTrue(noGrid.fractionClipped.isNaN)
    }

    func testWeightStatisticsPerChannel() {
        // Two output rows, per-channel symmetric grid; row 1's largest value clips (127.5 → 128 → 127).
        let w: [Float] = [0.5, -1, 0.25, 2, -1, 0.5]
        let inverse: [Float] = [127.5, 63.75]       // exact in binary
        let scales = inverse.map { 1 / $0 }
        let grid = WeightGrid(scales: scales, inverseScales: inverse, zeroPoints: [0, 0],
                              qmin: -128, qmax: 127, granularity: "per_channel")
        var deq = [Float](repeating: 0, count: 6)
        for i in 0..<6 {
            let e = grid.entry(ofElement: i, columns: 3)
            let q = min(127, max(-128, (w[i] * grid.inverseScales[e]).rounded(.toNearestOrEven)))
            deq[i] = q * scales[e]
        }
        let s = WeightStatistics(weight: w, dequantized: deq, shape: [2, 3], grid: grid, bins: 8)
        XCTAssertEqual(s.clipped, 1)
        XCTAssertEqual(s.fractionClipped, 1.0 / 6, accuracy: 1e-15)
        let mse = zip(w, deq).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / 6
        XCTAssertEqual(s.metrics.mse, mse, accuracy: 1e-18)
        XCTAssertEqual(s.weightHistogram.total, 6)
        XCTAssertEqual(s.errorHistogram.total, 6)
        XCTAssertEqual(grid.entry(ofElement: 4, columns: 3), 1)
        let groups = WeightGrid(scales: [1, 1, 1, 1], inverseScales: [1, 1, 1, 1], zeroPoints: [0, 0, 0, 0],
                                qmin: -8, qmax: 7, granularity: "per_group", groupSize: 2)
        XCTAssertEqual((0..<8).map { groups.entry(ofElement: $0, columns: 4) }, [0, 0, 1, 1, 2, 2, 3, 3])
    }
}
