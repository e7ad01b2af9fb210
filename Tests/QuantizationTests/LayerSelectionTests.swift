import Quantization
import XCTest

/// Glob patterns and `ModelScheme.layerScheme(for:)` over HF layer names.
final class LayerSelectionTests: XCTestCase {
    let names = ["encoder.layer.3.attention.self.query", "encoder.layer.3.attention.self.key",
                 "encoder.layer.3.attention.self.value", "encoder.layer.3.attention.output.dense",
                 "encoder.layer.3.intermediate.dense", "encoder.layer.3.output.dense",
                 "encoder.layer.11.output.dense", "pooler.dense", "classifier"]

    func testGlobs() {
        let ffnOut = LayerNamePattern("encoder.layer.*.output.dense")
        XCTAssertEqual(names.filter(ffnOut.matches), ["encoder.layer.3.output.dense", "encoder.layer.11.output.dense"])
        XCTAssertEqual(names.filter(LayerNamePattern("**.self.*").matches).count, 3)
        XCTAssertEqual(names.filter(LayerNamePattern("**.output.dense").matches).count, 3)
        XCTAssertEqual(names.filter(LayerNamePattern("encoder.layer.?.output.dense").matches), ["encoder.layer.3.output.dense"])
        XCTAssertEqual(names.filter(LayerNamePattern("*").matches), ["classifier"])
        XCTAssertEqual(names.filter(LayerNamePattern("**").matches), names)
        XCTAssertFalse(LayerNamePattern("classifier").matches("classifier.extra"))
        XCTAssertFalse(LayerNamePattern("encoder.layer.*").matches("encoder.layer.3.output.dense"))
    }

    func testPresetsQuantizeEveryLinearIncludingHead() {
        for name in names {
            XCTAssertEqual(ModelScheme.pytorchDynamic.layerScheme(for: name)?.weight, .pytorchWeight, name)
            XCTAssertNil(ModelScheme.fp32.layerScheme(for: name), name)
        }
    }

    func testExcludeIncludeAndOverrides() {
        var m = ModelScheme.pytorchDynamic
        m.exclude = ["classifier"]
        m.overrides = [LayerOverride(pattern: "encoder.layer.*.output.dense", scheme: ModelScheme.pytorchDynamicPerChannel.defaultScheme),
                       LayerOverride(pattern: "pooler.dense", scheme: nil)]
        XCTAssertNil(m.layerScheme(for: "classifier"))
        XCTAssertNil(m.layerScheme(for: "pooler.dense"))
        XCTAssertEqual(m.layerScheme(for: "encoder.layer.3.output.dense")?.weight, .pytorchWeightPerChannel)
        XCTAssertEqual(m.layerScheme(for: "encoder.layer.3.attention.output.dense")?.weight, .pytorchWeight)
        XCTAssertEqual(m.layerSchemes.count, 2)

        m.include = ["**.self.*"]
        XCTAssertNotNil(m.layerScheme(for: "encoder.layer.0.attention.self.key"))
        XCTAssertNil(m.layerScheme(for: "encoder.layer.0.intermediate.dense"))
    }

    func testEmbeddingsAndCalibrationFlags() {
        XCTAssertEqual(ModelScheme.q8bertDynamic.embeddingScheme, .q8bertWeight)
        XCTAssertNil(ModelScheme.pytorchDynamic.embeddingScheme)
        XCTAssertTrue(ModelScheme.q8bertStatic.requiresCalibration)
        XCTAssertFalse(ModelScheme.q8bertDynamic.requiresCalibration)
        XCTAssertEqual(ModelScheme.pytorchDynamic.defaultScheme?.implementation, .integerGEMM)
        XCTAssertEqual(ModelScheme.fp16.defaultScheme?.implementation, .float16)
        XCTAssertEqual(ModelScheme.int4PerGroup.defaultScheme?.implementation, .fakeQuant)
        XCTAssertEqual(ModelScheme.weightOnlyInt8.defaultScheme?.implementation, .fakeQuant)
    }
}
