import LayerStats
import TensorCore
import XCTest

/// A linear layer that runs more than once per forward pass (ALBERT's shared groups): each call is compared with
/// the reference's call of the same rank, not with the reference's last.
final class SharedLayerTapTests: XCTestCase {
    func testEachCallOfASharedLayerIsComparedWithItsOwnReferenceCall() {
        let recorder = RecordingTap(), comparer = ComparingTap()
        comparer.reference = recorder
        let firstRef: [Float] = [1, 2, 3, 4], secondRef: [Float] = [10, 20, 30, 40]
        let calls: [(RecordingTap?, [[Float]])] = [(recorder, [firstRef, secondRef]),
                                                   (nil, [[1, 2, 3, 4.5], [10, 20, 30, 40]])]  // one error, first call
        for (rec, values) in calls {
            let tap: ActivationTap = rec ?? comparer
            tap.beginBatch(rowMask: [1, 1], batch: 1, seq: 2)
            for v in values {
                v.withUnsafeBufferPointer { tap.observe(.linearOutput, name: "shared", values: $0, rows: 2, width: 2) }
            }
            tap.endBatch(logits: Tensor(shape: [1, 2], data: [0, 1]))
        }
        XCTAssertEqual(recorder.output("shared", call: 0), firstRef)
        XCTAssertEqual(recorder.output("shared", call: 1), secondRef)
        XCTAssertEqual(recorder.outputs["shared"], secondRef)
        let m = comparer.outputs["shared"]!.metrics
        XCTAssertEqual(m.count, 8)                        // both calls' values
        XCTAssertEqual(m.maxAbsError, 0.5, accuracy: 0)   // compared with the last call, call 1 would err by ~36
    }
}
