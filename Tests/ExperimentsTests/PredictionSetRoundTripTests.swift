import Foundation
import RunRecords
import XCTest

/// `predictions/*.jsonl` carry logits exactly: what `PredictionSet.jsonLines` writes, `parse` reads back bit for
/// bit (random bit patterns, subnormals, signed zeros, ±inf, NaN), which `qbench reproduce`'s logit check needs.
final class PredictionSetRoundTripTests: XCTestCase {
    func testLogitsRoundTripBitForBit() throws {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt32 {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return UInt32(truncatingIfNeeded: state >> 32)
        }
        var logits: [[Float]] = [[0, -0.0], [.infinity, -.infinity], [.leastNonzeroMagnitude, -.leastNormalMagnitude],
                                 [.greatestFiniteMagnitude, 1e-40], [.nan, 0.1]]
        for _ in 0..<20_000 {
            let a = Float(bitPattern: next()), b = Float(bitPattern: next())
            logits.append([a.isNaN ? 1 : a, b.isNaN ? -1 : b])
        }
        let set = PredictionSet(labels: logits.indices.map { $0 % 3 == 0 ? nil : $0 % 2 },
                                predictions: logits.indices.map { $0 % 2 }, logits: logits)
        let back = try PredictionSet.parse(set.jsonLines(), file: "test.jsonl")
        XCTAssertEqual(back.labels, set.labels)
        XCTAssertEqual(back.predictions, set.predictions)
        XCTAssertEqual(back.logits.count, logits.count)
        var differing = 0
        for (r, w) in zip(back.logits, logits) {
            XCTAssertEqual(r.count, w.count)
            for (x, y) in zip(r, w) where x.bitPattern != y.bitPattern && !(x.isNaN && y.isNaN) { differing += 1 }
        }
        XCTAssertEqual(differing, 0, "logits that do not read back bit for bit")
        XCTAssertTrue(back.logits[4][0].isNaN)
        XCTAssertEqual(back.logits[0][1].bitPattern, (-0.0 as Float).bitPattern)
    }

    func testMalformedLogitsNameFileAndLine() {
        let data = Data("{\"index\":0,\"label\":1,\"prediction\":1,\"logits\":[0.5,1.5]}\n{\"index\":1,\"label\":0,\"prediction\":0,\"logits\":[0.5,x]}\n".utf8)
        XCTAssertThrowsError(try PredictionSet.parse(data, file: "p.jsonl")) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("p.jsonl") && text.contains("line 2"), text)
        }
    }
}
