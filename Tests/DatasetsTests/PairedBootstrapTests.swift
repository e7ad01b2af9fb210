import Datasets
import Foundation
import XCTest

/// The paired bootstrap of F1 and accuracy: known data, seeding, pairing, NumPy's quantile, and the numbers of an
/// independent Python implementation (Tools/goldens/bootstrap_reference.py).
final class PairedBootstrapTests: XCTestCase {
    func testAllCorrectGivesDegenerateIntervals() {
        let labels = (0..<408).map { $0 % 3 == 0 ? 0 : 1 }
        let b = PairedBootstrap(labels: labels, predictions: [labels, labels], settings: BootstrapSettings(seed: 0))
        XCTAssertEqual(b.f1Interval(0), ConfidenceInterval(lower: 1, upper: 1))
        XCTAssertEqual(b.accuracyInterval(1), ConfidenceInterval(lower: 1, upper: 1))
        XCTAssertEqual(b.deltaF1Interval(1, minus: 0), ConfidenceInterval(lower: 0, upper: 0))
        XCTAssertEqual(b.f1[0].count, BootstrapSettings.defaultReplicates)
    }

    func testAllWrongGivesZeroF1AndAccuracy() {
        let labels = (0..<100).map { $0 % 2 }
        let b = PairedBootstrap(labels: labels, predictions: [labels.map { 1 - $0 }], settings: BootstrapSettings(seed: 3))
        XCTAssertEqual(b.f1Interval(0), ConfidenceInterval(lower: 0, upper: 0))
        XCTAssertEqual(b.accuracyInterval(0), ConfidenceInterval(lower: 0, upper: 0))
    }

    /// Half of 400 examples right: accuracy's interval is about 0.5 ± 1.96·√(0.25/400) = [0.451, 0.549].
    func testHalfCorrectAccuracyIntervalHasTheBinomialWidth() {
        let labels = (0..<400).map { $0 % 2 }
        let predictions = (0..<400).map { i in i % 4 < 2 ? labels[i] : 1 - labels[i] }
        let ci = PairedBootstrap(labels: labels, predictions: [predictions], settings: BootstrapSettings(seed: 11)).accuracyInterval(0)
        XCTAssertTrue(ci.contains(0.5), "\(ci)")
        XCTAssertEqual(ci.lower, 0.451, accuracy: 0.01)
        XCTAssertEqual(ci.upper, 0.549, accuracy: 0.01)
    }

    func testSameSeedSameIntervalsOtherSeedCloseButDifferent() {
        let labels = (0..<408).map { ($0 * 7) % 10 < 7 ? 1 : 0 }
        let predictions = labels.enumerated().map { i, l in i % 6 == 0 ? 1 - l : l }
        let first = PairedBootstrap(labels: labels, predictions: [predictions], settings: BootstrapSettings(seed: 1))
        let again = PairedBootstrap(labels: labels, predictions: [predictions], settings: BootstrapSettings(seed: 1))
        XCTAssertEqual(first.f1, again.f1, "every replicate identical")
        XCTAssertEqual(first.f1Interval(0), again.f1Interval(0))
        let other = PairedBootstrap(labels: labels, predictions: [predictions], settings: BootstrapSettings(seed: 2))
        XCTAssertNotEqual(first.f1Interval(0), other.f1Interval(0))
        XCTAssertEqual(first.f1Interval(0).lower, other.f1Interval(0).lower, accuracy: 0.015)
        XCTAssertEqual(first.f1Interval(0).upper, other.f1Interval(0).upper, accuracy: 0.015)
    }

    /// Two classifiers that disagree on 2 of 408 examples: each F1 is uncertain by several points, their
    /// difference (same resamples) by well under one.
    func testPairingNarrowsTheDifference() {
        let labels = (0..<408).map { ($0 * 5) % 9 < 6 ? 1 : 0 }
        let a = labels.enumerated().map { i, l in i % 7 == 0 ? 1 - l : l }
        var b = a
        b[10] = 1 - b[10]
        b[20] = 1 - b[20]
        let boot = PairedBootstrap(labels: labels, predictions: [a, b], settings: BootstrapSettings(seed: 5))
        let single = boot.f1Interval(0), delta = boot.deltaF1Interval(1, minus: 0)
        XCTAssertGreaterThan(single.upper - single.lower, 0.04, "\(single)")
        XCTAssertLessThan(delta.upper - delta.lower, 0.012, "\(delta)")
    }

    /// `np.quantile(np.arange(1, 1001), [0.025, 0.975])` = [25.975, 975.025]; `np.quantile([0, 1, 2, 3, 4], 0.5)` = 2.
    func testPercentilesAreNumPysLinearQuantiles() {
        let ci = PairedBootstrap.percentileInterval((1...1000).reversed().map(Double.init), confidence: 0.95)
        XCTAssertEqual(ci.lower, 25.975, accuracy: 1e-9)
        XCTAssertEqual(ci.upper, 975.025, accuracy: 1e-9)
        XCTAssertEqual(PairedBootstrap.percentileInterval([4, 3, 2, 1, 0], confidence: 0).lower, 2)
        XCTAssertEqual(PairedBootstrap.percentileInterval([4, 3, 2, 1, 0], confidence: 0.95).lower, 0.1, accuracy: 1e-12)
    }

    /// Constants printed by `python3 Tools/goldens/bootstrap_reference.py` (pure Python: SplitMix64, Lemire's
    /// bounded draw, integer confusion counts, numpy-linear quantiles): the algorithm, not just its determinism.
    func testMatchesTheIndependentPythonImplementation() {
        let labels = (0..<60).map { ($0 * 7) % 11 < 6 ? 1 : 0 }
        let a = labels.enumerated().map { i, l in i % 5 == 0 ? 1 - l : l }
        let b = labels.enumerated().map { i, l in i % 3 == 0 ? 1 - l : l }
        let boot = PairedBootstrap(labels: labels, predictions: [a, b], settings: BootstrapSettings(replicates: 200, seed: 7))
        XCTAssertEqual(boot.f1Interval(0), ConfidenceInterval(lower: 0.67795243302351, upper: 0.8955481214616573))
        XCTAssertEqual(boot.accuracyInterval(1), ConfidenceInterval(lower: 0.5495833333333334, upper: 0.7837500000000001))
        XCTAssertEqual(boot.deltaF1Interval(1, minus: 0),
                       ConfidenceInterval(lower: -0.31139610301342613, upper: 0.04186726348364299))
    }

    func testSettingsProblemsAndIntervalJSON() throws {
        XCTAssertNil(BootstrapSettings(seed: 0).problem)
        XCTAssertNotNil(BootstrapSettings(replicates: 0, seed: 0).problem)
        XCTAssertNotNil(BootstrapSettings(seed: 0, method: "bca").problem)
        XCTAssertNotNil(BootstrapSettings(seed: 0, confidence: 1).problem)
        let ci = ConfidenceInterval(lower: 0.25, upper: 0.75)
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(ci), as: UTF8.self), "[0.25,0.75]")
        XCTAssertEqual(try JSONDecoder().decode(ConfidenceInterval.self, from: Data("[0.25,0.75]".utf8)), ci)
        for bad in ["[0.75,0.25]", "[0.1,0.2,0.3]", "[0.1]", "{\"lower\":0}"] {
            XCTAssertThrowsError(try JSONDecoder().decode(ConfidenceInterval.self, from: Data(bad.utf8)), bad)
        }
    }
}
