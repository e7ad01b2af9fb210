import XCTest
import Tokenization

/// `longest_first` truncation as transformers 5.x does it (Rust `tokenizers`, `truncate_encodings`).
final class TruncationTests: XCTestCase {
    /// The table of tokenizers' own unit test `truncate_encodings_longest_first` (budget 7; lengths 0, 2, 4, 8).
    func testKeptLengthsMatchTokenizersUnitTest() {
        let cases: [(Int, Int, Int, Int)] = [
            (0, 0, 0, 0), (0, 2, 0, 2), (0, 4, 0, 4), (0, 8, 0, 7),
            (2, 0, 2, 0), (2, 2, 2, 2), (2, 4, 2, 4), (2, 8, 2, 5),
            (4, 0, 4, 0), (4, 2, 4, 2), (4, 4, 3, 4), (4, 8, 3, 4),
            (8, 0, 7, 0), (8, 2, 5, 2), (8, 4, 4, 3), (8, 8, 3, 4),
        ]
        for (first, second, keptFirst, keptSecond) in cases {
            let kept = LongestFirstTruncation.keptLengths(first: first, second: second, budget: 7)
            XCTAssertEqual(kept.first, keptFirst, "first of (\(first), \(second))")
            XCTAssertEqual(kept.second, keptSecond, "second of (\(first), \(second))")
        }
        // Budget 0 (max length = number of special tokens) empties both.
        XCTAssertTrue(LongestFirstTruncation.keptLengths(first: 4, second: 2, budget: 0) == (0, 0))
    }

    /// Brute force: the kept lengths always fit the budget, never cut what fits, and never exceed the input.
    func testKeptLengthsInvariants() {
        for budget in 0...12 {
            for first in 0...15 {
                for second in 0...15 {
                    let kept = LongestFirstTruncation.keptLengths(first: first, second: second, budget: budget)
                    XCTAssertLessThanOrEqual(kept.first, first)
                    XCTAssertLessThanOrEqual(kept.second, second)
                    XCTAssertEqual(kept.first + kept.second, min(first + second, budget),
                                   "(\(first), \(second)) within \(budget)")
                }
            }
        }
    }

    /// Max length 10 on words that are one token each. Expected values reasoned from `truncate_encodings`
    /// (budget 10 − 3 = 7) and confirmed with tokenizers 0.23.3.
    func testPairTruncatedToTenTokens() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        // Both longer than half the budget, first shorter: first keeps 7/2 = 3, second 3 + 1 = 4.
        XCTAssertEqual(tokenizer.encodePair("a b c d e", "f g h i j k l m n", maxLength: 10).inputIds,
                       [101, 1037, 1038, 1039, 102, 1042, 1043, 1044, 1045, 102])
        // First longer: roles swap, the first keeps 4 and the second 3.
        XCTAssertEqual(tokenizer.encodePair("a b c d e f g h i", "f g h i j", maxLength: 10).inputIds,
                       [101, 1037, 1038, 1039, 1040, 102, 1042, 1043, 1044, 102])
        // Equal lengths: the first counts as the shorter, so the second keeps the odd token (Python 4.x: the first).
        let tie = tokenizer.encodePair("a b c d", "e f g h", maxLength: 10)
        XCTAssertEqual(tie.inputIds, [101, 1037, 1038, 1039, 102, 1041, 1042, 1043, 1044, 102])
        XCTAssertEqual(tie.tokenTypeIds, [0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
        XCTAssertEqual(tie.attentionMask, [Int32](repeating: 1, count: 10))
        // Short first sequence kept whole, the second gets the rest.
        XCTAssertEqual(tokenizer.encodePair("a", "b c d e f g h i j", maxLength: 10).inputIds,
                       [101, 1037, 102, 1038, 1039, 1040, 1041, 1042, 1043, 102])
        // Empty first sequence.
        XCTAssertEqual(tokenizer.encodePair("", "a b c d e f g h i j k l", maxLength: 10).inputIds,
                       [101, 102, 1037, 1038, 1039, 1040, 1041, 1042, 1043, 102])
        // Nothing but the special tokens.
        XCTAssertEqual(tokenizer.encodePair("a b", "c d", maxLength: 3).inputIds, [101, 102, 102])
    }

    /// Real MRPC pairs truncated to 10 and 16 tokens, ids from tokenizers 0.23.3 with `longest_first`.
    func testMRPCPairsTruncated() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let rows = try mrpcDevPairs()
        let expected10: [[Int32]] = [
            [101, 2002, 2056, 1996, 9440, 102, 1000, 1996, 9440, 102],
            [101, 20201, 22948, 2056, 102, 2010, 2564, 2056, 2002, 102],
            [101, 1996, 7922, 2001, 102, 1996, 7922, 2001, 2012, 102],
        ]
        let expected16: [[Int32]] = [
            [101, 2002, 2056, 1996, 9440, 2121, 7903, 2063, 102, 1000, 1996, 9440, 2121, 7903, 2063, 102],
            [101, 20201, 22948, 2056, 10958, 19053, 4140, 102, 2010, 2564, 2056, 2002, 2001, 1000, 2531, 102],
            [101, 1996, 7922, 2001, 2012, 12904, 1012, 102, 1996, 7922, 2001, 2012, 12904, 1012, 6275, 102],
        ]
        for (maxLength, expected) in [(10, expected10), (16, expected16)] {
            for (row, ids) in zip(rows, expected) {
                let encoding = tokenizer.encodePair(row.a, row.b, maxLength: maxLength)
                if let problem = firstMismatch(encoding.inputIds, ids) {
                    XCTFail("max length \(maxLength), \(row.a.debugDescription): \(problem)")
                }
                let firstLength = encoding.tokenTypeIds.firstIndex(of: 1) ?? encoding.count
                XCTAssertEqual(encoding.inputIds[firstLength - 1], tokenizer.sepId)
            }
        }
    }

    /// A single text keeps its first `maxLength − 2` tokens.
    func testSingleTextTruncation() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let text = try mrpcDevPairs()[0].a
        XCTAssertEqual(tokenizer.encodePair(text, nil, maxLength: 10).inputIds,
                       [101, 2002, 2056, 1996, 9440, 2121, 7903, 2063, 11345, 102])
        XCTAssertEqual(tokenizer.encodePair(text, nil, maxLength: 16).inputIds,
                       [101, 2002, 2056, 1996, 9440, 2121, 7903, 2063, 11345, 2449, 2987, 1005, 1056, 4906, 1996, 102])
        XCTAssertEqual(tokenizer.encodePair(text, nil, maxLength: 10).tokenTypeIds, [Int32](repeating: 0, count: 10))
    }
}
