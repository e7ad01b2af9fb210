import _TestSupport
import Tokenization
import XCTest

final class PairEncodingSmokeTests: XCTestCase {
    func testPairLayout() throws {
        let t = try BertTokenizer(vocabularyURL: Fixtures.projectRoot.appendingPathComponent("data/vocab/bert-base-uncased-vocab.txt"))
        XCTAssertEqual(t.tokenize("Hello, World!"), ["hello", ",", "world", "!"])
        let e = t.encodePair("the cat", "a dog", maxLength: 128)
        XCTAssertEqual(e.inputIds, [101, 1996, 4937, 102, 1037, 3899, 102])
        XCTAssertEqual(e.tokenTypeIds, [0, 0, 0, 0, 1, 1, 1])
    }
}
