import TensorCore
import XCTest

/// `SeededRandom.index(below:)`: in range, and the sequence of the independent Python implementation
/// (Tools/goldens/bootstrap_reference.py: SplitMix64 + Lemire's bounded draw), which the bootstraps depend on.
final class SeededRandomTests: XCTestCase {
    func testIndexBelowMatchesThePythonReference() {
        var rng = SeededRandom(seed: 7)
        XCTAssertEqual((0..<5).map { _ in rng.index(below: 408) }, [159, 6, 367, 237, 184])
    }

    func testIndexBelowStaysInRangeAndCoversIt() {
        var rng = SeededRandom(seed: 1)
        for n in [1, 2, 3, 7, 408] {
            var seen = Set<Int>()
            for _ in 0..<(50 * n) {
                let i = rng.index(below: n)
                XCTAssertTrue((0..<n).contains(i), "\(i) not below \(n)")
                seen.insert(i)
            }
            XCTAssertEqual(seen.count, n, "every value below \(n) drawn")
        }
    }
}
