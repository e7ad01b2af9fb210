import _TestSupport
import Datasets
import Experiments
import Foundation
import RunRecords
import Tokenization
import XCTest

/// `ModelFolder` reads the folder's own tokenizer (tokenizer.json first) and checks it against `vocab_size`.
final class ModelFolderTokenizerTests: XCTestCase {
    struct FixtureGolden: Decodable {
        struct Pair: Decodable { let input_ids: [Int32]; let token_type_ids: [Int32]? }
        let pairs: [Pair]
        let logits_fp32: [[Float]]
        let logits_quantize_dynamic: [[Float]]
    }

    /// The cased BERT fixture is no longer lower-cased: its folder gives transformers' ids for the golden pairs.
    func testBertFoldersUseTheirOwnTokenizer() throws {
        let dev = try PairDataset.load(path: Fixtures.mrpc.path, split: "dev").examples
        for family in ["bert-cased", "bert-uncased-tokenizer-json"] {
            let url = Fixtures.fixtures.appendingPathComponent("encoders/\(family)")
            let folder = try ModelFolder(path: url.path)
            let golden = try JSONDecoder().decode(FixtureGolden.self,
                                                  from: Data(contentsOf: url.appendingPathComponent("golden.json")))
            XCTAssertEqual(golden.pairs.count, 16, family)
            for (i, expected) in golden.pairs.enumerated() {
                let encoding = folder.tokenizer.encodePair(dev[i].textA, dev[i].textB, maxLength: 128)
                XCTAssertEqual(encoding.inputIds, expected.input_ids, "\(family) pair \(i)")
                if let types = expected.token_type_ids { XCTAssertEqual(encoding.tokenTypeIds, types, "\(family) pair \(i)") }
            }
        }
        let cased = try ModelFolder(path: Fixtures.fixtures.appendingPathComponent("encoders/bert-cased").path)
        XCTAssertEqual(cased.tokenizer.convertIdsToTokens(cased.tokenizer.encode("Hello")), ["He", "##ll", "##o"])
    }

    /// A tokenizer.json tokenizer may have fewer ids than `vocab_size`, never an id ≥ `vocab_size`.
    func testTokenizerIdsMustFitVocabSize() throws {
        let url = Fixtures.fixtures.appendingPathComponent("encoders/roberta")
        let tokenizer = try TokenizerLoader.load(folder: url)
        XCTAssertEqual(tokenizer.vocabularySize, 2000)
        XCTAssertNoThrow(try ModelFolder.checkVocabularySize(tokenizer, folder: url, vocabSize: 2000))
        XCTAssertNoThrow(try ModelFolder.checkVocabularySize(tokenizer, folder: url, vocabSize: 2048))
        XCTAssertThrowsError(try ModelFolder.checkVocabularySize(tokenizer, folder: url, vocabSize: 1999)) { error in
            let text = "\(error)"
            for fragment in ["tokenizer.json", "ids up to 1999", url.appendingPathComponent("config.json").path,
                             "\"vocab_size\" is 1999"] {
                XCTAssertTrue(text.contains(fragment), "\(text) lacks \(fragment)")
            }
        }
    }

    /// The bug of issue 17: the cased fixture was lower-cased, and its logits were 0.1–0.2 off PyTorch. With its own
    /// tokenizer, the FP32 logits of the 16 golden pairs (batches of 8 padded to the batch's longest) are within 1e-4.
    func testCasedFixtureLogitsMatchPyTorch() throws {
        let url = Fixtures.fixtures.appendingPathComponent("encoders/bert-cased")
        let folder = try ModelFolder(path: url.path)
        let golden = try JSONDecoder().decode(FixtureGolden.self, from: Data(contentsOf: url.appendingPathComponent("golden.json")))
        let dev = try PairDataset.load(path: Fixtures.mrpc.path, split: "dev")
        let first = PairDataset(path: dev.path, examples: Array(dev.examples.prefix(16)))
        let options = BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: false)
        let result = try Evaluator.run(model: folder.model, batches: folder.batches(first, options: options), labels: nil)
        XCTAssertEqual(result.logits.count, 16)
        var worst: Float = 0
        for (got, want) in zip(result.logits, golden.logits_fp32) {
            for (a, b) in zip(got, want) { worst = max(worst, abs(a - b)) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-4, "largest |logit - PyTorch|")
    }

    /// Issue 17 end to end, every family: the folder's own tokenizer gives transformers' ids for the 16 golden pairs,
    /// and through `ModelFolder.batches` (batches of 8 padded to the batch's longest) the FP32 logits are within 1e-4
    /// of PyTorch; `pytorch-dynamic` is within the quantize_dynamic tolerance of the shared fixtures (2.4e-7 seen on
    /// all but one family; 0.05 allowed, as one FP32 ulp can move a dynamic range by a code).
    func testEveryFamilyEndToEndMatchesPyTorch() throws {
        let dev = try PairDataset.load(path: Fixtures.mrpc.path, split: "dev")
        let first = PairDataset(path: dev.path, examples: Array(dev.examples.prefix(16)))
        let options = BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: false)
        let families = ["bert-cased", "bert-uncased-tokenizer-json", "roberta", "xlm-roberta", "distilbert", "electra",
                        "albert", "deberta-v2"]
        for family in families {
            let url = Fixtures.fixtures.appendingPathComponent("encoders/\(family)")
            let folder = try ModelFolder(path: url.path)
            let golden = try JSONDecoder().decode(FixtureGolden.self, from: Data(contentsOf: url.appendingPathComponent("golden.json")))
            for (i, expected) in golden.pairs.enumerated() {
                XCTAssertEqual(folder.tokenizer.encodePair(first.examples[i].textA, first.examples[i].textB, maxLength: 128).inputIds,
                               expected.input_ids, "\(family) pair \(i)")
            }
            let fp32 = try Evaluator.run(model: folder.model, batches: folder.batches(first, options: options), labels: nil)
            let q = try folder.model(for: .pytorchDynamic, calibration: { [] }).model
            let int8 = try Evaluator.run(model: q, batches: folder.batches(first, options: options), labels: nil)
            func worst(_ a: [[Float]], _ b: [[Float]]) -> Float {
                zip(a, b).flatMap { zip($0, $1).map { abs($0 - $1) } }.max() ?? .infinity
            }
            XCTAssertEqual(fp32.logits.count, 16, family)
            XCTAssertLessThanOrEqual(worst(fp32.logits, golden.logits_fp32), 1e-4, "\(family): FP32 largest |logit − PyTorch|")
            XCTAssertLessThanOrEqual(worst(int8.logits, golden.logits_quantize_dynamic), 0.05,
                                     "\(family): pytorch-dynamic largest |logit − quantize_dynamic|")
        }
    }
}
