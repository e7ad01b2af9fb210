import Foundation
import XCTest
import Tokenization

final class VocabularyTests: XCTestCase {
    private func temporaryFile(_ contents: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory
            .appendingPathComponent("vocab-\(UUID().uuidString).txt")
        try Data(contents.utf8).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func testBertBaseUncasedVocabulary() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        XCTAssertEqual(tokenizer.vocabulary.count, 30522)
        XCTAssertEqual(tokenizer.padId, 0)
        XCTAssertEqual(tokenizer.unkId, 100)
        XCTAssertEqual(tokenizer.clsId, 101)
        XCTAssertEqual(tokenizer.sepId, 102)
        XCTAssertEqual(tokenizer.maskId, 103)
        XCTAssertEqual(tokenizer.vocabulary.id(of: "the"), 1996)
        XCTAssertEqual(tokenizer.vocabulary.token(of: 2088), "world")
        XCTAssertNil(tokenizer.vocabulary.token(of: 30522))
        XCTAssertEqual(tokenizer.convertIdsToTokens([101, 7592, 102]), ["[CLS]", "hello", "[SEP]"])
        XCTAssertEqual(tokenizer.convertTokensToIds(["hello", "not-a-token"]), [7592, 100])
    }

    func testMissingFileErrorNamesThePath() {
        let url = URL(fileURLWithPath: "/nonexistent/dir/vocab-missing.txt")
        XCTAssertThrowsError(try BertTokenizer(vocabularyURL: url)) { error in
            guard case TokenizationError.vocabularyUnreadable(let path, _) = error else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue(String(describing: error).contains("/nonexistent/dir/vocab-missing.txt"), "\(error)")
        }
    }

    func testEmptyFileIsAnError() throws {
        let url = try temporaryFile("")
        XCTAssertThrowsError(try Vocabulary(contentsOf: url)) { error in
            XCTAssertEqual(error as? TokenizationError, .vocabularyEmpty(path: url.path))
            XCTAssertTrue(String(describing: error).contains(url.path))
        }
    }

    func testInvalidUTF8IsAnError() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vocab-\(UUID().uuidString).txt")
        try Data([0x61, 0x0A, 0xFF, 0xFE, 0x0A]).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        XCTAssertThrowsError(try Vocabulary(contentsOf: url)) { error in
            XCTAssertEqual(error as? TokenizationError, .vocabularyNotUTF8(path: url.path))
        }
    }

    func testMissingSpecialTokenIsAnError() throws {
        let url = try temporaryFile("[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n")
        XCTAssertThrowsError(try BertTokenizer(vocabularyURL: url)) { error in
            XCTAssertEqual(error as? TokenizationError, .missingSpecialToken(token: "[MASK]", path: url.path))
        }
    }

    /// Python `readlines()` in text mode: universal newlines, last line without newline kept,
    /// other whitespace kept, a repeated token takes its later id.
    func testLineSplittingFollowsPythonLoadVocab() throws {
        let url = try temporaryFile("a\r\nb\rc\n d \n\na\ne")
        let vocabulary = try Vocabulary(contentsOf: url)
        XCTAssertEqual(vocabulary.tokens, ["a", "b", "c", " d ", "", "a", "e"])
        XCTAssertEqual(vocabulary.id(of: "a"), 5)
        XCTAssertEqual(vocabulary.id(of: " d "), 3)
        XCTAssertEqual(vocabulary.id(of: ""), 4)
        XCTAssertEqual(vocabulary.token(of: 0), "a")
    }
}
