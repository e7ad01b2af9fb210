import Experiments
import Foundation
import Quantization
import RunRecords
import Sweep
import XCTest

/// `FallbackScheme`: a recommendation's reverts as plain scheme data that `qbench eval --scheme` reads back.
final class FallbackSchemeTests: XCTestCase {
    let names = ["encoder.layer.0.attention.self.query", "encoder.layer.0.output.dense", "pooler.dense", "classifier"]

    func testUnitsFollowTheSchemesSelection() {
        XCTAssertEqual(FallbackScheme.units(of: .q8bertStatic, linearNames: names), ["embeddings"] + names)
        XCTAssertEqual(FallbackScheme.units(of: .pytorchDynamic, linearNames: names), names, "embeddings stay FP32 there")
        var s = ModelScheme.pytorchDynamic
        s.exclude = ["classifier"]
        s.overrides = [LayerOverride(pattern: "pooler.dense", scheme: nil)]
        XCTAssertEqual(FallbackScheme.units(of: s, linearNames: names), Array(names.prefix(2)))
        XCTAssertEqual(FallbackScheme.units(of: .fp32, linearNames: names), [])
    }

    func testRevertedLayersAndEmbeddings() {
        let base = ModelScheme.q8bertStatic
        let fp32 = FallbackScheme.reverting(["encoder.layer.0.output.dense", "embeddings"], in: base, to: nil)
        XCTAssertNil(fp32.layerScheme(for: "encoder.layer.0.output.dense"))
        XCTAssertEqual(fp32.layerScheme(for: "encoder.layer.0.attention.self.query"), base.defaultScheme)
        XCTAssertFalse(fp32.quantizeEmbeddings)
        XCTAssertEqual(fp32.overrides.map(\.pattern), ["encoder.layer.0.output.dense"])
        let fp16 = FallbackScheme.reverting(["classifier"], in: base, to: Recommendation.Fallback.fp16.layerScheme)
        XCTAssertEqual(fp16.layerScheme(for: "classifier"), LayerScheme(weight: .float16))
        XCTAssertTrue(fp16.quantizeEmbeddings)
        XCTAssertEqual(FallbackScheme.reverting([], in: base, to: nil), base)
    }

    /// A revert is placed ahead of the scheme's own overrides, so it wins over a broader pattern.
    func testRevertWinsOverExistingOverrides() {
        var base = ModelScheme.pytorchDynamic
        base.overrides = [LayerOverride(pattern: "**.dense", scheme: LayerScheme(weight: .pytorchWeightPerChannel))]
        let s = FallbackScheme.reverting(["pooler.dense"], in: base, to: nil)
        XCTAssertNil(s.layerScheme(for: "pooler.dense"))
        XCTAssertEqual(s.layerScheme(for: "encoder.layer.0.output.dense"), LayerScheme(weight: .pytorchWeightPerChannel))
    }

    /// The written file (`RunManifest.encoder`, as `RecommendationFolder` writes `scheme.json`) passes the strict
    /// scheme-file reader and decodes to the same scheme.
    func testWrittenSchemeReadsBack() throws {
        let s = FallbackScheme.reverting(["embeddings", "classifier", "pooler.dense"], in: .q8bertStatic,
                                         to: Recommendation.Fallback.fp16.layerScheme, name: "q8bert-static+recommended")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("fallback-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("scheme.json")
        try RunManifest.encoder.encode(s).write(to: file)
        XCTAssertEqual(try SchemeResolver.resolve(file.path), s)
        let fp32 = FallbackScheme.reverting(["classifier"], in: .q8bertStatic, to: nil, name: "x")
        try RunManifest.encoder.encode(fp32).write(to: file)
        XCTAssertEqual(try SchemeResolver.resolve(file.path), fp32)
    }
}
