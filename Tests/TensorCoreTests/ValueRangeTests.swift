import TensorCore
import XCTest

/// `ValueRange` (order-free min/max, merged from parts), the ranges LayerNorm and GELU measure in their own pass,
/// and `ScratchPool`'s reuse of buffers.
final class ValueRangeTests: XCTestCase {
    func bits(_ r: ValueRange?) -> [UInt32] { r.map { [$0.min.bitPattern, $0.max.bitPattern] } ?? [] }

    /// Any split of a tensor, merged in any order, gives `ValueRange.of` the whole: with NaNs (ignored), −0 and +0
    /// (a zero result is +0), infinities, and parts that are all NaN.
    func testMergedPartsGiveTheRangeOfTheWhole() {
        var g = SystemRandomNumberGenerator()
        var lists: [[Float]] = [
            [1, 2, 3], [-0.0, 0, -0.0], [.nan, .nan, .nan, .nan], [.nan, .nan, 5, -2, .nan, .nan],
            [-.infinity, 3, .infinity], [-0.0, -0.0, -0.0, -0.0],
        ]
        lists.append((0..<1000).map { i in i % 17 == 0 ? .nan : Float.random(in: -5...5, using: &g) })
        for x in lists {
            let whole = x.withUnsafeBufferPointer { ValueRange.of($0.baseAddress!, count: x.count) }
            for cut in 0...x.count {
                let a = x.withUnsafeBufferPointer { ValueRange.of($0.baseAddress!, count: cut) }
                let b = x.withUnsafeBufferPointer { ValueRange.of($0.baseAddress! + cut, count: x.count - cut) }
                XCTAssertEqual(bits(a.merging(b)), bits(whole), "\(x.prefix(6)) cut \(cut)")
                XCTAssertEqual(bits(b.merging(a)), bits(whole), "\(x.prefix(6)) cut \(cut), reversed")
            }
        }
        XCTAssertTrue(ValueRange.none.isNone)
        XCTAssertEqual(bits([Float]().withUnsafeBufferPointer { ValueRange.of($0.baseAddress ?? UnsafePointer(bitPattern: 64)!, count: 0) }),
                       bits(ValueRange.none))
        let z = [Float](repeating: -0.0, count: 3).withUnsafeBufferPointer { ValueRange.of($0.baseAddress!, count: 3) }
        XCTAssertEqual(bits(z), [0, 0], "a zero result is +0")
    }

    /// `measure` splits large tensors over the workers: the same bits at 1 and 2 threads.
    func testMeasureIsThreadCountIndependent() {
        var g = SystemRandomNumberGenerator()
        var x = (0..<300_000).map { _ in Float.random(in: -3...3, using: &g) }
        x[299_999] = 7
        x[0] = -0.0
        let saved = Parallel.threads
        defer { Parallel.setThreads(saved) }
        var got: [[UInt32]] = []
        for t in [1, 2, 3] {
            Parallel.setThreads(t)
            got.append(bits(x.withUnsafeBufferPointer { ValueRange.measure($0.baseAddress!, count: x.count) }))
        }
        XCTAssertEqual(got[0], got[1])
        XCTAssertEqual(got[0], got[2])
        XCTAssertEqual(got[0][1], Float(7).bitPattern)
    }

    /// LayerNorm (+ residual) and GELU with `measuringRange`: the output is what they compute without it, and the
    /// range is `ValueRange.measure` of that output, for both numerics modes and several thread counts.
    func testLayerNormAndGeluMeasureTheirOutput() {
        var g = SystemRandomNumberGenerator()
        let savedThreads = Parallel.threads
        defer { Parallel.setThreads(savedThreads) }
        let rows = 45, width = 100
        let x = (0..<(rows * width)).map { _ in Float.random(in: -4...4, using: &g) }
        let res = (0..<(rows * width)).map { _ in Float.random(in: -1...1, using: &g) }
        let gamma = (0..<width).map { _ in Float.random(in: 0.5...1.5, using: &g) }
        let beta = (0..<width).map { _ in Float.random(in: -0.3...0.3, using: &g) }
        let act = (0..<10_001).map { _ in Float.random(in: -6...6, using: &g) }
        for mode in [NumericsMode.fast, .reproducible] { Numerics.with(mode) {
            for t in [1, 2] {
                Parallel.setThreads(t)
                for residual in [nil, res] {
                    var plain = x, measured = x
                    plain.withUnsafeMutableBufferPointer { p in
                        _ = Elementwise.addLayerNorm(p.baseAddress!, residual: residual, rows: rows, width: width,
                                                     gamma: gamma, beta: beta, eps: 1e-12)
                    }
                    let r = measured.withUnsafeMutableBufferPointer { p in
                        Elementwise.addLayerNorm(p.baseAddress!, residual: residual, rows: rows, width: width,
                                                 gamma: gamma, beta: beta, eps: 1e-12, measuringRange: true)
                    }
                    XCTAssertEqual(measured.map(\.bitPattern), plain.map(\.bitPattern), "\(mode) \(t) threads")
                    XCTAssertEqual(bits(r), bits(plain.withUnsafeBufferPointer { ValueRange.measure($0.baseAddress!, count: $0.count) }))
                }
                var plain = act, measured = act
                plain.withUnsafeMutableBufferPointer { _ = Elementwise.geluErf($0.baseAddress!, count: $0.count) }
                let r = measured.withUnsafeMutableBufferPointer { Elementwise.geluErf($0.baseAddress!, count: $0.count, measuringRange: true) }
                XCTAssertEqual(measured.map(\.bitPattern), plain.map(\.bitPattern), "GELU \(mode) \(t) threads")
                XCTAssertEqual(bits(r), bits(plain.withUnsafeBufferPointer { ValueRange.measure($0.baseAddress!, count: $0.count) }))
                XCTAssertNil(plain.withUnsafeMutableBufferPointer { Elementwise.geluErf($0.baseAddress!, count: $0.count) })
            }
        } }
    }

    /// A recycled buffer is handed out again (no new allocation) with the count asked for; a copy still alive
    /// elsewhere keeps its values when the next taker resizes or writes.
    func testScratchPoolReusesBuffers() {
        var a = ScratchPool.floats(10_000)
        XCTAssertEqual(a.count, 10_000)
        for i in a.indices { a[i] = Float(i) }
        let address = a.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        ScratchPool.recycle(&a)
        XCTAssertTrue(a.isEmpty)
        var b = ScratchPool.floats(9_999)
        XCTAssertEqual(b.count, 9_999)
        XCTAssertEqual(b.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }, address, "the recycled storage")
        XCTAssertEqual(b[9_998], 9_998, "no new memory: the old contents")

        let kept = b
        ScratchPool.recycle(&b)
        var c = ScratchPool.floats(9_999)
        c.withUnsafeMutableBufferPointer { p in for i in p.indices { p[i] = -1 } }
        XCTAssertEqual(kept[9_998], 9_998, "the copy kept its values")
        XCTAssertEqual(kept[5], 5)
        XCTAssertEqual(c[5], -1)
        ScratchPool.recycle(&c)
    }
}
