import Datasets
import XCTest

/// The exact McNemar test against exact rational values (Python `fractions`, `math.comb`:
/// `min(1, 2·Σ_{i ≤ min(b,c)} C(b+c, i) / 2^(b+c))`, printed by Tools/goldens/bootstrap_reference.py).
final class McNemarTestTests: XCTestCase {
    func testKnownPValues() {
        // b = 10, c = 2: 2·(C(12,0) + C(12,1) + C(12,2)) / 2^12 = 2·79/4096, exactly.
        XCTAssertEqual(McNemarTest.exactPValue(b: 10, c: 2), 0.03857421875)
        XCTAssertEqual(McNemarTest.exactPValue(b: 0, c: 5), 0.0625)          // 2 / 2^5
        XCTAssertEqual(McNemarTest.exactPValue(b: 0, c: 1), 1)               // 2 · ½, capped
        XCTAssertEqual(McNemarTest.exactPValue(b: 7, c: 7), 1)
        XCTAssertEqual(McNemarTest.exactPValue(b: 0, c: 0), 1, "no disagreements")
        for (b, c, p) in [(30, 45, 0.10534226887460488), (300, 380, 0.0024248687076998945),
                          (3000, 3200, 0.011488253770871206), (100, 300, 2.5918869069720767e-24)] {
            let mine = McNemarTest.exactPValue(b: b, c: c)
            XCTAssertEqual(mine, p, accuracy: p * 1e-12, "b = \(b), c = \(c)")
        }
    }

    func testSymmetricInBAndC() {
        for (b, c) in [(10, 2), (0, 9), (45, 30), (1, 400), (205, 203)] {
            XCTAssertEqual(McNemarTest.exactPValue(b: b, c: c), McNemarTest.exactPValue(b: c, c: b))
        }
    }

    /// Only examples where exactly one of the two is right count, each in its direction.
    func testCountsDiscordantExamples() {
        let labels = (0..<24).map { $0 % 2 }
        var candidate = labels
        for i in 0..<10 { candidate[i] = 1 - candidate[i] }                 // candidate wrong, reference right
        var reference = labels
        reference[20] = 1 - reference[20]; reference[21] = 1 - reference[21]   // reference wrong, candidate right
        reference[0] = 1 - reference[0]                                     // both wrong: not discordant
        let t = McNemarTest(labels: labels, reference: reference, candidate: candidate)
        XCTAssertEqual(t.referenceOnlyCorrect, 9)
        XCTAssertEqual(t.candidateOnlyCorrect, 2)
        let u = McNemarTest(labels: labels, reference: labels, candidate: candidate)
        XCTAssertEqual(u.referenceOnlyCorrect, 10)
        XCTAssertEqual(u.candidateOnlyCorrect, 0)
        XCTAssertEqual(McNemarTest(referenceOnlyCorrect: 10, candidateOnlyCorrect: 2).pValue, 0.03857421875)
    }
}
