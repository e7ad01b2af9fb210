import _TestSupport
import Foundation
import XCTest
import Tokenization

/// The real all-MiniLM-L6-v2 base (`BaseModel`, `QB_BASE_MODEL`): a hub tokenizer.json of bert-base-uncased form
/// (30,522 WordPieces, written by an older `tokenizers`) gives, through the fast path and through the general
/// pipeline, the ids of the folder's vocab.txt with its tokenizer_config.json, which are transformers' ids
/// (`FixtureParityTests`, and the PyTorch goldens of `EvaluatorGoldenTests`).
final class RealTokenizerJSONTests: XCTestCase {
    func testHubTokenizerJSONEqualsVocabTxtOnAllDevPairs() throws {
        let base = try BaseModel.require()
        let fast = try TokenizerLoader.load(folder: base)
        let general = try TokenizerLoader.load(folder: base, fastPath: false)
        XCTAssertTrue(fast is BertTokenizer, "the hub file is of bert-base-uncased form")
        XCTAssertTrue(general is PipelineTokenizer)
        let copy = try TemporaryDirectory()
        for name in ["vocab.txt", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: base.appendingPathComponent(name), to: copy.url.appendingPathComponent(name))
        }
        let vocab = try TokenizerLoader.load(folder: copy.url)
        XCTAssertEqual(vocab.vocabularySize, 30522)
        XCTAssertEqual(general.vocabularySize, 30522)
        var identical = 0
        for pair in try mrpcDevPairs() {
            let expected = vocab.encodePair(pair.a, pair.b, maxLength: 128)
            let a = fast.encodePair(pair.a, pair.b, maxLength: 128), b = general.encodePair(pair.a, pair.b, maxLength: 128)
            XCTAssertEqual(a, expected, pair.a)
            XCTAssertEqual(b, expected, pair.a)
            if a == expected, b == expected { identical += 1 }
        }
        XCTAssertEqual(identical, 408)
    }
}
