import BERT
import Checkpoints
import TensorCore
import XCTest

/// The pure parts of each family: checkpoint-key sanitize, ignored extras, position ids, the layout's names.
final class EncoderFamilyNamesTests: XCTestCase {
    func testSanitizeStripsEachFamilysPrefix() {
        XCTAssertEqual(Roberta.sanitize("roberta.encoder.layer.0.attention.self.query.weight"),
                       "encoder.layer.0.attention.self.query.weight")
        XCTAssertEqual(Roberta.sanitize("classifier.out_proj.bias"), "classifier.out_proj.bias")
        XCTAssertEqual(DistilBert.sanitize("distilbert.transformer.layer.1.ffn.lin2.weight"), "transformer.layer.1.ffn.lin2.weight")
        XCTAssertEqual(Electra.sanitize("electra.embeddings_project.weight"), "embeddings_project.weight")
        XCTAssertEqual(Albert.sanitize("albert.encoder.albert_layer_groups.0.albert_layers.0.ffn.weight"),
                       "encoder.albert_layer_groups.0.albert_layers.0.ffn.weight")
        XCTAssertEqual(Albert.sanitize("albert.embeddings.LayerNorm.gamma"), "embeddings.LayerNorm.weight")
        // Another family's prefix is not stripped, so its tensors are reported as missing/unused, not taken.
        XCTAssertEqual(Bert.sanitize("roberta.embeddings.word_embeddings.weight"), "roberta.embeddings.word_embeddings.weight")
    }

    func testIgnoredExtrasArePerFamily() {
        XCTAssertTrue(Bert.isIgnoredExtra("embeddings.position_ids"))
        XCTAssertTrue(Roberta.isIgnoredExtra("pooler.dense.weight"))
        XCTAssertFalse(Bert.isIgnoredExtra("pooler.dense.weight"))
        XCTAssertFalse(DistilBert.isIgnoredExtra("pooler.dense.weight"))
        XCTAssertFalse(Electra.isIgnoredExtra("discriminator_predictions.dense.weight"))
        XCTAssertFalse(Albert.isIgnoredExtra("predictions.dense.weight"))
    }

    func testRobertaPositionsCountFromThePaddingIndex() {
        let config = BertConfiguration(vocabSize: 10, hiddenSize: 4, numHiddenLayers: 1, numAttentionHeads: 1,
                                       intermediateSize: 4, maxPositionEmbeddings: 10, typeVocabSize: 1,
                                       padTokenId: 1, modelType: "roberta")
        XCTAssertEqual(config.layout.positions, .offsetFromPadding(paddingIdx: 1))
        XCTAssertEqual(config.maxSequenceLength, 8)
        let bert = BertConfiguration(maxPositionEmbeddings: 10)
        XCTAssertEqual(bert.layout.positions, .absolute)
        XCTAssertEqual(bert.maxSequenceLength, 10)
    }

    /// Against transformers' `make_log_bucket_position` (values printed by torch 2.15 / transformers 5.24).
    func testDebertaRelativeBucketsMatchTransformers() {
        let r = [-129, -100, -40, -17, -16, -15, -1, 0, 1, 8, 15, 16, 17, 20, 33, 64, 100, 127, 129]
        XCTAssertEqual(r.map { DebertaV2.relativeBucket($0, buckets: 32, maxPosition: 160) },
                       [-30, -28, -22, -17, -16, -15, -1, 0, 1, 8, 15, 16, 17, 18, 21, 26, 28, 30, 30])
        XCTAssertEqual(r.map { DebertaV2.relativeBucket($0, buckets: 16, maxPosition: 64) },
                       [-18, -17, -14, -11, -11, -11, -1, 0, 1, 8, 11, 11, 11, 12, 13, 16, 17, 18, 18])
        XCTAssertEqual(DebertaV2.relativeBucket(-40, buckets: -1, maxPosition: 64), -40)
    }

    func testAlbertGroupsFollowTransformersIndexing() {
        let c = BertConfiguration(hiddenSize: 8, numHiddenLayers: 6, numAttentionHeads: 2, intermediateSize: 8,
                                  modelType: "albert", embeddingSize: 4, numHiddenGroups: 4, innerGroupNum: 2)
        // int(i / (6 / 4)) for i in 0..<6 = 0, 0, 1, 2, 2, 3
        XCTAssertEqual((0..<6).map { Albert.group(ofDepth: $0, config: c) }, [0, 0, 1, 2, 2, 3])
        let blocks = c.layout.blocks
        XCTAssertEqual(blocks.count, 12)
        XCTAssertEqual(blocks[9].query, "encoder.albert_layer_groups.2.albert_layers.1.attention.query")  // depth 4, J 1
        XCTAssertEqual(c.layout.linearNames.count, 1 + 4 * 2 * 6 + 2)
    }

    func testRandomInitWritesEveryFamilysCheckpointNames() throws {
        for type in ["bert", "roberta", "distilbert", "electra", "albert", "deberta-v2"] {
            var c = BertConfiguration(vocabSize: 20, hiddenSize: 8, numHiddenLayers: 2, numAttentionHeads: 2,
                                      intermediateSize: 16, maxPositionEmbeddings: 16, typeVocabSize: 2, padTokenId: 1,
                                      modelType: type, embeddingSize: type == "bert" || type == "roberta" ? nil : 4)
            if type == "deberta-v2" {
                c.debertaV2 = DebertaV2.Options(relativeAttention: true, positionBuckets: 4, maxRelativePositions: 16,
                                                shareAttKey: false, posAttType: ["c2p", "p2c"], normRelEbd: "layer_norm",
                                                positionBiasedInput: false, poolerHiddenSize: nil, poolerHiddenAct: "gelu",
                                                convKernelSize: 0, attentionHeadSize: nil)
            }
            var tensors: [String: Tensor] = [:]
            for (n, t) in BertRandomInit.weights(config: c, seed: 3) { tensors[n] = t }
            let prefix = EncoderFamilies.family(type)!.prefix
            XCTAssertNotNil(tensors["\(prefix)embeddings.word_embeddings.weight"], type)
            // Loading them back uses every tensor and finds none missing.
            let model = try BertModel.load(config: c, weights: MemorySource(tensors), name: "random-\(type)")
            XCTAssertEqual(model.linearNames.count, c.layout.linears.count)
        }
    }
}

/// Named tensors in memory, as a `TensorSource` (the tests' checkpoints).
struct MemorySource: TensorSource {
    var tensors: [String: Tensor]
    init(_ tensors: [String: Tensor]) { self.tensors = tensors }
    var names: [String] { tensors.keys.sorted() }
    func shape(of name: String) throws -> [Int] { try get(name).shape }
    func dtype(of name: String) throws -> DType { _ = try get(name); return .f32 }
    func floatTensor(_ name: String) throws -> Tensor { try get(name) }
    private func get(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw CheckpointError.tensorNotFound(file: "memory", tensor: name) }
        return t
    }
}
