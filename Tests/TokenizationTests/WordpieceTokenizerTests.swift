import XCTest
import Tokenization

final class WordpieceTokenizerTests: XCTestCase {
    private let vocabulary = Vocabulary(tokens: ["[UNK]", "un", "##aff", "##able", "una", "##ff", "a", "##a", "ba", "##na"])

    func testGreedyLongestMatchFirst() {
        let wordpiece = WordpieceTokenizer(vocabulary: vocabulary)
        // Greedy takes "una" (longer than "un"), then "##ff", "##able"; never backtracks to "un" + "##aff".
        XCTAssertEqual(wordpiece.tokenize("unaffable"), ["una", "##ff", "##able"])
        XCTAssertEqual(wordpiece.tokenize("unaffablex"), ["[UNK]"])     // no piece for the final "x"
        XCTAssertEqual(wordpiece.tokenize("banana"), ["ba", "##na", "##na"])
        XCTAssertEqual(wordpiece.tokenize("nanana"), ["[UNK]"])          // a word cannot start with "##na"
        XCTAssertEqual(wordpiece.tokenize("ba  banana\tun"), ["ba", "ba", "##na", "##na", "un"])
        XCTAssertEqual(wordpiece.tokenize(""), [])
    }

    func testRealVocabularySplits() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        XCTAssertEqual(tokenizer.wordpieceTokenizer.tokenize("unaffable"), ["una", "##ffa", "##ble"])
        XCTAssertEqual(tokenizer.tokenize("unaffable"), ["una", "##ffa", "##ble"])
    }

    /// Words of more than 100 scalars become [UNK]; exactly 100 are split normally. Scalars, not Characters:
    /// 50 × "e" + U+0301 is 100 scalars (50 Characters).
    func testMaximumWordLengthCountsScalars() {
        let wordpiece = WordpieceTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(wordpiece.tokenize(String(repeating: "a", count: 100)),
                       ["a"] + [String](repeating: "##a", count: 99))
        XCTAssertEqual(wordpiece.tokenize(String(repeating: "a", count: 101)), ["[UNK]"])
        let combining = String(repeating: "a\u{301}", count: 51)                // 51 Characters, 102 scalars
        XCTAssertEqual(combining.count, 51)
        XCTAssertEqual(wordpiece.tokenize(combining), ["[UNK]"])
        let custom = WordpieceTokenizer(vocabulary: vocabulary, maxInputCharactersPerWord: 3)
        XCTAssertEqual(custom.tokenize("aaa aaaa"), ["a", "##a", "##a", "[UNK]"])
    }
}
