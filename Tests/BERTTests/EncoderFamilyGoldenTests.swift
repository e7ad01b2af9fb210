import _TestSupport
import BERT
import Foundation
import TensorCore
import XCTest

/// FP32 forward of every encoder family against transformers 5.24: the shared fixtures (first 16 MRPC dev pairs,
/// logits and the last hidden state of 2 pairs) and the differently shaped models of `encoders-shapes` (all 408
/// dev pairs), each in batches of 8 padded to the batch's longest with the model's pad token, as the goldens were.
final class EncoderFamilyGoldenTests: XCTestCase {
    /// The acceptance bound: FP32 logits within 1e-4 of PyTorch (absolute below 1, relative above).
    static let tolerance: Float = 1e-4

    static func batch(_ g: EncoderGolden, _ range: Range<Int>, model: BertModel) -> BertBatch {
        BertBatch(sequences: range.map { g.pairs[$0] }, padId: Int32(model.config.padTokenId))
    }

    /// Logits of every golden pair, batched as the golden was.
    static func logits(_ g: EncoderGolden, model: BertModel) throws -> [[Float]] {
        var out: [[Float]] = []
        for r in g.batchRanges() {
            let o = try model.forward(batch(g, r, model: model)).logits
            let n = o.shape[1]
            out += (0..<r.count).map { Array(o.data[($0 * n)..<(($0 + 1) * n)]) }
        }
        return out
    }

    /// Fails naming the worst logit beyond `tolerance`; returns the largest |Δ|.
    @discardableResult
    static func compare(_ got: [[Float]], _ want: [[Float]], _ what: String,
                        file: StaticString = #filePath, line: UInt = #line) -> Float {
        XCTAssertEqual(got.count, want.count, "\(what): pair count", file: file, line: line)
        XCTAssertEqual(got.first?.count, want.first?.count, "\(what): label count", file: file, line: line)
        let a = got.flatMap { $0 }, b = want.flatMap { $0 }
        guard a.count == b.count else { return .infinity }
        if let bad = Golden.worst(a, b, tol: tolerance) {
            XCTFail("\(what): logit \(bad.index) is \(bad.got), PyTorch \(bad.want)", file: file, line: line)
        }
        return zip(a, b).map { abs($0 - $1) }.max() ?? 0
    }

    func testFixtureFamiliesMatchTransformersFP32() throws {
        for family in EncoderGolden.fixtureFamilies {
            let g = try EncoderGolden.fixture(family)
            let model = try BertModel.load(folder: g.folder)
            let worst = Self.compare(try Self.logits(g, model: model), g.fp32, "\(family) FP32")
            // The last hidden state of the first 2 pairs, padding rows included.
            let out = try model.forward(Self.batch(g, 0..<2, model: model), hiddenStates: true)
            let last = out.hiddenStates!.last!
            XCTAssertEqual(last.count, g.lastHiddenFirst2!.count, "\(family): last hidden state size")
            if last.count == g.lastHiddenFirst2!.count,
               let bad = Golden.worst(last.data, g.lastHiddenFirst2!, tol: Self.tolerance) {
                XCTFail("\(family): last hidden state value \(bad.index) is \(bad.got), PyTorch \(bad.want)")
            }
            print("\(family): FP32 max |Δlogit| \(worst) over \(g.pairs.count) pairs")
        }
    }

    func testDifferentlyShapedFamiliesMatchTransformersFP32() throws {
        for family in EncoderGolden.shapeFamilies {
            let g = try EncoderGolden.shapes(family)
            let model = try BertModel.load(folder: g.folder)
            XCTAssertEqual(model.config.modelType, family == "bert" ? "bert" : family)
            XCTAssertEqual(g.pairs.count, 408, "\(family): all MRPC dev pairs")
            let worst = Self.compare(try Self.logits(g, model: model), g.fp32, "\(family) (other shape) FP32")
            print("\(family) (other shape): FP32 max |Δlogit| \(worst) over \(g.pairs.count) pairs")
        }
    }

    /// Each family reads its own names and keeps BERT's public model type.
    func testFamiliesDecodeTheirConfiguration() throws {
        let expected: [String: (String, String, String)] = [   // model_type → (a linear, head dense, head output)
            "roberta": ("encoder.layer.0.attention.self.query", "classifier.dense", "classifier.out_proj"),
            "xlm-roberta": ("encoder.layer.1.output.dense", "classifier.dense", "classifier.out_proj"),
            "distilbert": ("transformer.layer.1.ffn.lin1", "pre_classifier", "classifier"),
            "electra": ("embeddings_project", "classifier.dense", "classifier.out_proj"),
            "albert": ("encoder.embedding_hidden_mapping_in", "pooler", "classifier"),
        ]
        for (type, names) in expected {
            let model = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("encoders/\(type)"))
            XCTAssertEqual(model.config.modelType, type)
            XCTAssertTrue(model.linearNames.contains(names.0), "\(type): \(model.linearNames)")
            XCTAssertEqual(model.layout.headDense, names.1)
            XCTAssertEqual(model.layout.headOutput, names.2)
        }
        let distil = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("encoders/distilbert"))
        XCTAssertEqual(distil.config.hiddenSize, 64)
        XCTAssertEqual(distil.config.intermediateSize, 256)
        XCTAssertEqual(distil.embeddingNames, ["embeddings.word_embeddings", "embeddings.position_embeddings"])
        let albert = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("encoders/albert"))
        XCTAssertEqual(albert.config.embeddingWidth, 32)
        XCTAssertEqual(albert.config.hiddenAct, "gelu_new")
        XCTAssertEqual(albert.layout.activation, .geluTanh)
        // 2 depths over one shared group: each linear once in the list, two blocks run.
        XCTAssertEqual(albert.layout.blocks.count, 2)
        XCTAssertEqual(albert.layout.blocks[0], albert.layout.blocks[1])
        XCTAssertEqual(albert.linearNames.count, 1 + 6 + 2)
        let roberta = try BertModel.load(folder: Fixtures.fixtures.appendingPathComponent("encoders/roberta"))
        XCTAssertEqual(roberta.config.maxSequenceLength, 162 - 1 - 1)
    }

    /// Families whose transformers tokenizer returns no token types (RoBERTa, XLM-R, ALBERT) or whose model has
    /// none (DistilBERT) give the same logits whatever types the batch holds, and `consumedInput` zeroes them;
    /// BERT and ELECTRA read them.
    func testTokenTypesAreReadOnlyByFamiliesThatUseThem() throws {
        for (family, reads) in [("roberta", false), ("xlm-roberta", false), ("albert", false), ("distilbert", false),
                                ("bert-cased", true), ("electra", true)] {
            let g = try EncoderGolden.fixture(family)
            let model = try BertModel.load(folder: g.folder)
            var ones = Self.batch(g, 0..<2, model: model)
            let zeros = BertBatch(batch: ones.batch, seq: ones.seq, inputIds: ones.inputIds,
                                  tokenTypeIds: [Int32](repeating: 0, count: ones.tokenTypeIds.count),
                                  attentionMask: ones.attentionMask)
            ones.tokenTypeIds = ones.tokenTypeIds.indices.map { $0 % 3 == 0 ? 1 : 0 }
            let same = try model.forward(ones).logits == (try model.forward(zeros).logits)
            XCTAssertEqual(same, !reads, family)
            XCTAssertEqual(model.consumedInput(ones).tokenTypeIds == zeros.tokenTypeIds, !reads, family)
        }
    }
}
