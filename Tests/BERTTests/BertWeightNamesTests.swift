import BERT
import XCTest

final class BertWeightNamesTests: XCTestCase {
    func testSanitize() {
        XCTAssertEqual(BertWeightNames.sanitize("bert.encoder.layer.0.attention.self.query.weight"),
                       "encoder.layer.0.attention.self.query.weight")
        XCTAssertEqual(BertWeightNames.sanitize("embeddings.LayerNorm.gamma"), "embeddings.LayerNorm.weight")
        XCTAssertEqual(BertWeightNames.sanitize("bert.encoder.layer.1.output.LayerNorm.beta"),
                       "encoder.layer.1.output.LayerNorm.bias")
        XCTAssertEqual(BertWeightNames.sanitize("classifier.weight"), "classifier.weight")
    }

    func testLinearLayerNamesAndShapes() {
        let names = BertWeightNames.linearLayers(layers: 2)
        XCTAssertEqual(names.count, 14)
        XCTAssertEqual(names.first, "encoder.layer.0.attention.self.query")
        XCTAssertEqual(names.last, "classifier")
        let c = BertConfiguration(hiddenSize: 64, numAttentionHeads: 4, intermediateSize: 256, numLabels: 3)
        XCTAssertEqual(BertWeightNames.linearShape("encoder.layer.1.output.dense", config: c), [64, 256])
        XCTAssertEqual(BertWeightNames.linearShape("encoder.layer.1.attention.output.dense", config: c), [64, 64])
        XCTAssertEqual(BertWeightNames.linearShape("encoder.layer.1.intermediate.dense", config: c), [256, 64])
        XCTAssertEqual(BertWeightNames.linearShape("classifier", config: c), [3, 64])
    }
}
