import _TestSupport
import BERT
import Foundation
import XCTest

/// `EncoderLayout.normReaders`: which linear layers read each LayerNorm, and where folding a scale into γ and β is
/// exact — from the layout data of each family's fixture config, no names assumed by the walk.
final class NormReadersTests: XCTestCase {
    static func layout(_ family: String) throws -> EncoderLayout {
        try BertConfiguration.load(Fixtures.fixtures.appendingPathComponent("encoders/\(family)/config.json")).layout
    }

    func testBertBlocksReadTheirLayerNormsButNoneFolds() throws {
        let r = try Self.layout("bert-cased").normReaders
        let p0 = "encoder.layer.0", p1 = "encoder.layer.1"
        XCTAssertEqual(r.map(\.norm), ["embeddings.LayerNorm", "\(p0).attention.output.LayerNorm", "\(p0).output.LayerNorm",
                                       "\(p1).attention.output.LayerNorm"])
        XCTAssertEqual(r[0].linears, ["\(p0).attention.self.query", "\(p0).attention.self.key", "\(p0).attention.self.value"])
        XCTAssertEqual(r[1].linears, ["\(p0).intermediate.dense"])
        XCTAssertEqual(r[2].linears, ["\(p1).attention.self.query", "\(p1).attention.self.key", "\(p1).attention.self.value"])
        XCTAssertEqual(r[3].linears, ["\(p1).intermediate.dense"])
        // Post-LN: every LayerNorm output is also a residual (or the last hidden state, read by the head only
        // through its first position, so the last output LayerNorm is not listed at all).
        XCTAssertTrue(r.allSatisfy { !$0.foldable })
    }

    func testEmbeddingProjectionFoldsIntoTheEmbeddingLayerNorm() throws {
        for family in ["electra", "albert"] {
            let l = try Self.layout(family)
            let first = try XCTUnwrap(l.normReaders.first, family)
            XCTAssertEqual(first.norm, l.embeddingNorm, family)
            XCTAssertEqual(first.linears, [l.projection!], family)
            XCTAssertTrue(first.foldable, "\(family): the embedding LayerNorm feeds only the projection")
            XCTAssertEqual(l.normReaders.filter(\.foldable).count, 1, family)
        }
        // ALBERT's shared block: q/k/v read the projection at depth 0 and the shared output LayerNorm after.
        let albert = try Self.layout("albert")
        let qkv = try XCTUnwrap(albert.normReaders.first { $0.norm == albert.blocks[0].outputNorm })
        XCTAssertEqual(qkv.linears, [albert.blocks[0].query, albert.blocks[0].key, albert.blocks[0].value])
        XCTAssertFalse(qkv.foldable)
    }

    func testDebertaSharedKeyReadsTheRelativeLayerNormToo() throws {
        let l = try Self.layout("deberta-v2")
        XCTAssertEqual(l.relative?.shareKey, true)
        let rel = try XCTUnwrap(l.normReaders.first { $0.norm == "encoder.LayerNorm" })
        // c2p projects the relative embeddings with each block's key, p2c with its query.
        XCTAssertEqual(Set(rel.linears), Set(l.blocks.flatMap { [$0.key, $0.query] }))
        XCTAssertFalse(rel.foldable, "the shared key/query also read the block input")
        // DeBERTa projects before its embedding LayerNorm: block 0 reads the LayerNorm, which is also a residual.
        XCTAssertEqual(l.normReaders[0].norm, l.embeddingNorm)
        XCTAssertFalse(l.normReaders[0].foldable)
    }

    func testEveryFamilyListsEachBlocksQKVAndIntermediate() throws {
        for family in EncoderGolden.fixtureFamilies {
            let l = try Self.layout(family)
            let read = Set(l.normReaders.flatMap(\.linears))
            for b in l.blocks {
                XCTAssertTrue(read.isSuperset(of: [b.query, b.key, b.value, b.intermediate]) || l.projection != nil && b == l.blocks[0],
                              "\(family): \(b.query)")
                XCTAssertTrue(read.contains(b.intermediate), "\(family): \(b.intermediate)")
                XCTAssertFalse(read.contains(b.attentionOutput), "\(family): \(b.attentionOutput) reads the attention context")
                XCTAssertFalse(read.contains(b.output), "\(family): \(b.output) reads the activation")
            }
            XCTAssertFalse(read.contains(l.headDense), family)
            XCTAssertFalse(read.contains(l.headOutput), family)
        }
    }
}
