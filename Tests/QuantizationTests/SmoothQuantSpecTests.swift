import Foundation
import Quantization
import XCTest

/// `SmoothQuantSpec.scales` against hand-computed numbers (the reference's formula, both 1e-5 clamps), its
/// validation, and its place in a model scheme's JSON.
final class SmoothQuantSpecTests: XCTestCase {
    func testScalesMatchHandNumbers() {
        // α = 0.5: s = √max|X| / √max|W|.
        let s = SmoothQuantSpec(alpha: 0.5).scales(activationMax: [4, 0, 9, 1], weightMax: [1, 0.25, 0, 16])
        XCTAssertEqual(s[0], 2, accuracy: 1e-6)                       // √4 / √1
        XCTAssertEqual(s[1], 1e-5)                                    // 0 / √0.25 = 0, clamped to 1e-5
        XCTAssertEqual(s[2], 3 / Float(1e-5).squareRoot(), accuracy: 1e-2) // max|W| 0 clamped to 1e-5: 948.683
        XCTAssertEqual(s[2], 948.683, accuracy: 1e-2)
        XCTAssertEqual(s[3], 0.25, accuracy: 1e-7)                    // √1 / √16
        // α = 0.8: 16^0.8 / 4^0.2 = 2^3.2 / 2^0.4 = 2^2.8 = 6.9644045.
        XCTAssertEqual(SmoothQuantSpec(alpha: 0.8).scales(activationMax: [16], weightMax: [4])[0], 6.9644045, accuracy: 1e-5)
        // The two ends: α = 1 moves everything to the weights (s = max|X|), α = 0 to the activations (s = 1/max|W|).
        XCTAssertEqual(SmoothQuantSpec(alpha: 1).scales(activationMax: [3], weightMax: [5]), [3])
        XCTAssertEqual(SmoothQuantSpec(alpha: 0).scales(activationMax: [3], weightMax: [5])[0], 0.2, accuracy: 1e-7)
    }

    func testAlphaOutsideTheUnitIntervalIsRefused() {
        for bad in [-0.1, 1.5, Double.nan] {
            XCTAssertThrowsError(try SmoothQuantSpec(alpha: bad).validate()) { e in
                XCTAssertTrue("\(e)".contains("smooth_quant.alpha"), "\(e)")
            }
        }
        XCTAssertNoThrow(try SmoothQuantSpec(alpha: 0).validate())
        XCTAssertNoThrow(try SmoothQuantSpec(alpha: 1).validate())
    }

    func testSchemeJSONCarriesSmoothQuantOnlyWhenSet() throws {
        let sq = try SchemeRegistry.scheme(named: "smoothquant-q8bert-static")
        XCTAssertEqual(sq.smoothQuant, SmoothQuantSpec(alpha: 0.5))
        XCTAssertTrue(sq.requiresCalibration)
        let json = String(data: try JSONEncoder().encode(sq), encoding: .utf8)!
        XCTAssertTrue(json.contains("\"smooth_quant\":{\"alpha\":0.5}"), json)
        XCTAssertEqual(try JSONDecoder().decode(ModelScheme.self, from: Data(json.utf8)), sq)
        // A scheme without SmoothQuant encodes as before (no key), so published files keep their bytes.
        let plain = String(data: try JSONEncoder().encode(ModelScheme.pytorchDynamic), encoding: .utf8)!
        XCTAssertFalse(plain.contains("smooth_quant"))
        XCTAssertFalse(ModelScheme.pytorchDynamic.requiresCalibration)
        XCTAssertTrue(try SchemeRegistry.scheme(named: "smoothquant-pytorch-dynamic").requiresCalibration,
                      "SmoothQuant needs activation maxima even with dynamic ranges")
        // `alpha` defaults to 0.5.
        let decoded = try JSONDecoder().decode(ModelScheme.self, from: Data(#"{"name": "x", "default": {"weight": {"bits": 8, "signed": true, "symmetric": true}, "activation": {"bits": 8, "signed": true, "symmetric": true, "range": "dynamic_per_tensor"}}, "smooth_quant": {}}"#.utf8))
        XCTAssertEqual(decoded.smoothQuant?.alpha, 0.5)
    }

    func testSmoothQuantNeedsQuantizedActivations() {
        var s = ModelScheme.weightOnlyInt8
        s.smoothQuant = SmoothQuantSpec()
        XCTAssertThrowsError(try s.validate()) { e in XCTAssertTrue("\(e)".contains("smooth_quant"), "\(e)") }
    }
}
