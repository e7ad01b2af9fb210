import LayerStats
import TensorCore
import XCTest

/// Metric formulas on hand-computed vectors, and padding rows excluded by the row mask.
final class ErrorMetricsTests: XCTestCase {
    func metrics(_ r: [Float], _ q: [Float]) -> ErrorMetrics {
        var acc = ErrorAccumulator()
        r.withUnsafeBufferPointer { rp in q.withUnsafeBufferPointer { acc.add(reference: rp, quantized: $0) } }
        return acc.metrics
    }

    func testHandComputedVector() {
        // r = [1, 2, 3, 4], q = [1, 2, 3, 5]: error [0, 0, 0, −1]; Σr² = 30, Σq² = 39, Σrq = 34, Σe² = 1.
        let m = metrics([1, 2, 3, 4], [1, 2, 3, 5])
        XCTAssertEqual(m.count, 4)
        XCTAssertEqual(m.mse, 0.25, accuracy: 1e-15)
        XCTAssertEqual(m.maxAbsError, 1, accuracy: 0)
        XCTAssertEqual(m.sqnrDB, 10 * log10(30.0), accuracy: 1e-12)      // 14.7712125…
        XCTAssertEqual(m.sqnrDB, 14.771212547196624, accuracy: 1e-12)
        XCTAssertEqual(m.cosine, 34 / (30.0 * 39.0).squareRoot(), accuracy: 1e-15)
        XCTAssertEqual(m.relativeL2, (1 / 30.0).squareRoot(), accuracy: 1e-15)
    }

    func testScaledCopyHasUnitCosineAndKnownSQNR() {
        // q = 0.9·r: error 0.1·r, so SQNR = 10·log10(1 / 0.01) = 20 dB exactly, cosine 1, rel L2 0.1.
        let r: [Float] = [0.5, -1.5, 2, 8, -3]
        let q = r.map { $0 * 0.9 }
        let m = metrics(r, q)
        XCTAssertEqual(m.sqnrDB, 20, accuracy: 1e-5)
        XCTAssertEqual(m.cosine, 1, accuracy: 1e-12)
        XCTAssertEqual(m.relativeL2, 0.1, accuracy: 1e-6)
        XCTAssertEqual(m.maxAbsError, 0.8, accuracy: 1e-6)
    }

    func testEdgeCases() {
        let same = metrics([1, -2], [1, -2])
        XCTAssertEqual(same.sqnrDB, .infinity)
        XCTAssertEqual(same.mse, 0)
        XCTAssertEqual(same.cosine, 1, accuracy: 1e-15)
        let zeroRef = metrics([0, 0], [1, 0])
        XCTAssertEqual(zeroRef.sqnrDB, -.infinity)
        XCTAssertTrue(zeroRef.cosine.isNaN)
        let empty = ErrorAccumulator().metrics
        XCTAssertEqual(empty.count, 0)
        XCTAssertTrue(empty.mse.isNaN && empty.sqnrDB.isNaN)
    }

    func testMergeEqualsOnePass() {
        var a = ErrorAccumulator(), b = ErrorAccumulator(), all = ErrorAccumulator()
        let r: [Float] = [1, 2, 3, 4, 5, 6], q: [Float] = [1.5, 2, 2, 4, 5.25, 6]
        r.withUnsafeBufferPointer { rp in
            q.withUnsafeBufferPointer { qp in
                a.add(reference: UnsafeBufferPointer(rebasing: rp[0..<3]), quantized: UnsafeBufferPointer(rebasing: qp[0..<3]))
                b.add(reference: UnsafeBufferPointer(rebasing: rp[3..<6]), quantized: UnsafeBufferPointer(rebasing: qp[3..<6]))
                all.add(reference: rp, quantized: qp)
            }
        }
        a.merge(b)
        XCTAssertEqual(a.metrics, all.metrics)
    }

    /// A batch of 2 sequences × 3 positions; the last position of each sequence is padding and carries a huge
    /// error. The taps must report exactly the metrics of the four real rows.
    func testPaddingRowsAreExcludedByTheMask() {
        let width = 2, batch = 2, seq = 3
        let mask: [Float] = [1, 1, 0, 1, 1, 0]
        let ref: [Float] = [1, 2, 3, 4, 0, 0, 5, 6, 7, 8, 0, 0]
        var qnt = ref
        qnt[0] = 1.5; qnt[7] = 6.5                           // real-row errors: 0.5 and 0.5
        qnt[4] = 1000; qnt[5] = -1000; qnt[10] = 1e6         // padding rows: garbage
        let recorder = RecordingTap(), comparer = ComparingTap()
        comparer.reference = recorder
        for (tap, values) in [(recorder as ActivationTap, ref), (comparer as ActivationTap, qnt)] {
            tap.beginBatch(rowMask: mask, batch: batch, seq: seq)
            values.withUnsafeBufferPointer {
                tap.observe(.linearInput, name: "layer", values: $0, rows: batch * seq, width: width)
                tap.observe(.linearOutput, name: "layer", values: $0, rows: batch * seq, width: width)
                tap.observe(.hiddenState, name: "encoder.layer.0", values: $0, rows: batch * seq, width: width)
            }
            tap.endBatch(logits: Tensor(shape: [2, 2], data: [0, 1, 1, 0]))
        }
        let realRef: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        var realQ = realRef
        realQ[0] = 1.5; realQ[5] = 6.5
        let expected = metrics(realRef, realQ)
        XCTAssertEqual(comparer.outputs["layer"]!.metrics, expected)
        XCTAssertEqual(comparer.hiddenStates["encoder.layer.0"]!.metrics, expected)
        XCTAssertEqual(comparer.outputs["layer"]!.metrics.count, 8)
        XCTAssertEqual(comparer.outputs["layer"]!.metrics.maxAbsError, 0.5, accuracy: 0)
        XCTAssertEqual(comparer.outputs["layer"]!.channelMSE, [0.25 / 4, 0.25 / 4])
        // Input ranges see only real rows too.
        let inputs = comparer.inputs["layer"]!
        XCTAssertEqual(inputs.count, 8)
        XCTAssertEqual(inputs.max, 8)
        XCTAssertEqual(inputs.min, 1.5)
        XCTAssertEqual(inputs.channelMax, [7, 8])
        XCTAssertEqual(comparer.flips, 0)
        XCTAssertEqual(comparer.layerOrder, ["layer"])
        XCTAssertEqual(recorder.predictions, [1, 0])
    }

    func testPoolerRowsAreAllReal() {
        let m = RowMask(mask: [1, 0, 1, 0], batch: 2, seq: 2)
        XCTAssertEqual(m.keep(rows: 4), [true, false, true, false])
        XCTAssertEqual(m.keep(rows: 2), [true, true])      // one [CLS] row per sequence
        XCTAssertEqual(m.realRows, 2)
    }

    func testPredictionFlipsAreCounted() {
        let recorder = RecordingTap(), comparer = ComparingTap()
        comparer.reference = recorder
        recorder.beginBatch(rowMask: [1, 1, 1], batch: 3, seq: 1)
        recorder.endBatch(logits: Tensor(shape: [3, 2], data: [0, 1, 1, 0, 0.5, 0.5]))
        comparer.beginBatch(rowMask: [1, 1, 1], batch: 3, seq: 1)
        comparer.endBatch(logits: Tensor(shape: [3, 2], data: [0, 1, 0, 1, 0.4, 0.6]))
        XCTAssertEqual(recorder.predictions, [1, 0, 0])     // tie → first index, like torch.argmax
        XCTAssertEqual(comparer.predictions, [1, 1, 1])
        XCTAssertEqual(comparer.flips, 2)
    }
}
