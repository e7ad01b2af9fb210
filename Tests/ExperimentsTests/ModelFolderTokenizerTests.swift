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
}
