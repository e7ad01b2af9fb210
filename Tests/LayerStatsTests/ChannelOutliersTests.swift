import LayerStats
import XCTest

/// `ChannelOutliers` on a small tensor with a planted outlier channel: every number checked exactly.
final class ChannelOutliersTests: XCTestCase {
    /// 3 sequences × 6 positions, width 8: `[CLS] w w , [SEP] pad`; channel 5 is 40 + s on the `[SEP]` of
    /// sequence s, channel 2 is 3 on every comma, the rest small values in −1 … 1 (and 99 on padding, which the
    /// ranges ignore but the kept rows see).
    func planted() -> (values: [Float], classes: [TokenClass], rows: Int, width: Int) {
        let width = 8, seqs = 3, seq = 6
        let pattern: [TokenClass] = [.cls, .other, .other, .punctuation, .sep, .padding]
        var values: [Float] = [], classes: [TokenClass] = []
        for s in 0..<seqs {
            for p in 0..<seq {
                let c = pattern[p]
                classes.append(c)
                for j in 0..<width {
                    var x = Float((s * 7 + p * 3 + j * 5) % 11 - 5) / 5   // −1 … 1
                    if c == .sep && j == 5 { x = 40 + Float(s) }
                    if c == .punctuation && j == 2 { x = -3 }
                    if c == .padding { x = 99 }
                    values.append(x)
                }
            }
        }
        return (values, classes, seqs * seq, width)
    }

    func testPlantedChannelIsFoundWithItsTokenClass() {
        let t = planted()
        var o = ChannelOutliers(keptRows: 4)
        // Two calls (two batches) of the same tensor: rows accumulate.
        let half = (t.rows / 2) * t.width
        t.values.withUnsafeBufferPointer { v in
            o.add(UnsafeBufferPointer(rebasing: v[0..<half]), rows: t.rows / 2, width: t.width,
                  classes: Array(t.classes[0..<(t.rows / 2)]))
            o.add(UnsafeBufferPointer(rebasing: v[half...]), rows: t.rows - t.rows / 2, width: t.width,
                  classes: Array(t.classes[(t.rows / 2)...]))
        }
        XCTAssertEqual(o.realRows, 15)
        XCTAssertEqual(o.classRows, [3, 3, 3, 3, 6])   // cls, sep, punctuation, padding, other
        XCTAssertEqual(o.channelMax[5], 42)            // padding's 99 is not in the ranges
        XCTAssertEqual(o.channelMin[2], -3)

        let s = o.summary(topK: 3)
        XCTAssertEqual(s.topChannels.first, 5)
        XCTAssertEqual(s.topChannels[1], 2)
        XCTAssertEqual(s.topAbsMax[0], 42)
        XCTAssertEqual(s.topAbsMax[1], 3)
        XCTAssertEqual(s.absMax, 42)
        XCTAssertEqual(s.topShare[0], 1)
        XCTAssertEqual(s.topShare[1], 3.0 / 42.0)
        // Channels other than 2 and 5 reach 1 (some value is exactly ±1), so the median of the 8 is 1.
        XCTAssertEqual(s.medianAbsMax, 1)
        XCTAssertEqual(s.topRatioToMedian[0], 42)
        XCTAssertEqual(s.outlierChannels, 1)           // only 42 > 6 · 1
        // Channel 5's 4 largest |x|: the three padding rows (99) and then the [SEP] of sequence 2 (42).
        XCTAssertEqual(s.topClassCounts[0], [0, 1, 0, 3, 0])
        XCTAssertEqual(o.topRows(channel: 5).map(\.magnitude), [99, 99, 99, 42])
        XCTAssertEqual(o.channelAbsMax[5], 42)
    }

    func testKeptRowsAreTheLargestAndTiesKeepTheEarlierRow() {
        // One channel; |x| = 5, 1, 5, 7, 5 on rows of classes cls, other, sep, punctuation, other.
        let values: [Float] = [5, -1, -5, 7, 5]
        let classes: [TokenClass] = [.cls, .other, .sep, .punctuation, .other]
        var o = ChannelOutliers(keptRows: 3)
        values.withUnsafeBufferPointer { o.add($0, rows: 5, width: 1, classes: classes) }
        // 7 (punctuation), then the two earliest 5s (cls, sep); the last 5 (other) ties and loses.
        XCTAssertEqual(o.topRows(channel: 0).map(\.tokenClass), [.punctuation, .cls, .sep])
        XCTAssertEqual(o.summary(topK: 8).topClassCounts, [[1, 1, 1, 0, 0]])
        XCTAssertEqual(o.summary(topK: 8).topChannels, [0], "k is capped at the width")
    }

    func testNoRealRowsGivesNaNNotACrash() {
        var o = ChannelOutliers(keptRows: 2)
        let values: [Float] = [1, 2]
        values.withUnsafeBufferPointer { o.add($0, rows: 1, width: 2, classes: [.padding]) }
        let s = o.summary(topK: 2)
        XCTAssertTrue(s.absMax.isNaN)
        XCTAssertTrue(s.medianAbsMax.isNaN)
        XCTAssertEqual(s.outlierChannels, 0)
        XCTAssertEqual(s.topClassCounts.map { $0[TokenClass.padding.rawValue] }, [1, 1])
    }
}
