import Foundation
import XCTest
import Tokenization

/// Token-for-token and id-for-id parity with the golden files produced by transformers 5.24.0
/// `BertTokenizer(vocab, do_lower_case=True)` (`Tests/Fixtures`, made by `Tools/goldens/make_goldens.py`).
final class FixtureParityTests: XCTestCase {
    struct EdgeCases: Decodable {
        struct Case: Decodable { let text: String; let tokens: [String]; let input_ids: [Int] }
        let source: String
        let cases: [Case]
    }

    struct PairEncodings: Decodable {
        struct Pair: Decodable {
            let text_a: String; let text_b: String; let label: Int
            let input_ids: [Int32]; let token_type_ids: [Int32]
        }
        let source: String
        let pairs: [Pair]
    }

    /// Every edge case: tokens (no specials) and ids of `[CLS] text [SEP]`.
    func testEdgeCasesMatchHuggingFace() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let fixture = try loadFixture("tokenizer-edge-cases.json", as: EdgeCases.self)
        XCTAssertEqual(fixture.cases.count, 22, "the fixture changed: update this count deliberately")
        var identical = 0
        for item in fixture.cases {
            let tokens = tokenizer.tokenize(item.text)
            if let problem = firstMismatch(tokens, item.tokens) {
                XCTFail("tokens of \(item.text.debugDescription): \(problem)\n got      \(tokens)\n expected \(item.tokens)")
                continue
            }
            XCTAssertEqual(scalarValues(tokens), scalarValues(item.tokens), "scalars of \(item.text.debugDescription)")
            let ids = tokenizer.encodePair(item.text, nil, maxLength: 512).inputIds.map(Int.init)
            if let problem = firstMismatch(ids, item.input_ids) {
                XCTFail("ids of \(item.text.debugDescription): \(problem)")
                continue
            }
            XCTAssertEqual(tokenizer.encode(item.text), Array(item.input_ids.dropFirst().dropLast()))
            XCTAssertEqual(tokenizer.convertTokensToIds(tokens), Array(item.input_ids.dropFirst().dropLast()))
            identical += 1
        }
        print("edge cases identical to HF: \(identical)/\(fixture.cases.count)")
        XCTAssertEqual(identical, fixture.cases.count)
    }

    /// The first 100 MRPC dev pairs, max length 128, `longest_first`: ids, token types, mask.
    func testMRPCDevPairEncodingsMatchHuggingFace() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let fixture = try loadFixture("tokenizer-mrpc-dev-first100.json", as: PairEncodings.self)
        XCTAssertEqual(fixture.pairs.count, 100)
        XCTAssertTrue(fixture.source.contains("max_length=128") && fixture.source.contains("longest_first"))
        var identical = 0
        for (index, pair) in fixture.pairs.enumerated() {
            let encoding = tokenizer.encodePair(pair.text_a, pair.text_b, maxLength: 128)
            let context = "pair \(index): \(pair.text_a.debugDescription) / \(pair.text_b.debugDescription)"
            if let problem = firstMismatch(encoding.inputIds, pair.input_ids) {
                XCTFail("input_ids of \(context): \(problem)")
                continue
            }
            if let problem = firstMismatch(encoding.tokenTypeIds, pair.token_type_ids) {
                XCTFail("token_type_ids of \(context): \(problem)")
                continue
            }
            XCTAssertEqual(encoding.attentionMask, [Int32](repeating: 1, count: pair.input_ids.count), context)
            identical += 1
        }
        print("MRPC dev pair encodings identical to HF: \(identical)/\(fixture.pairs.count)")
        XCTAssertEqual(identical, fixture.pairs.count)
    }

    /// The fixture's texts are the first rows of the project's `data/glue/MRPC/dev.tsv`.
    func testFixtureTextsAreTheDevSetRows() throws {
        let fixture = try loadFixture("tokenizer-mrpc-dev-first100.json", as: PairEncodings.self)
        let rows = try mrpcDevPairs()
        XCTAssertEqual(rows.count, 408)
        for (row, pair) in zip(rows, fixture.pairs) {
            XCTAssertEqual(row.a, pair.text_a)
            XCTAssertEqual(row.b, pair.text_b)
            XCTAssertEqual(row.label, pair.label)
        }
    }

    /// The whole MRPC dev set (408 pairs) encodes in well under a second in release builds.
    func testWholeDevSetIsFast() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let rows = try mrpcDevPairs()
        let start = Date()
        var tokens = 0
        for row in rows { tokens += tokenizer.encodePair(row.a, row.b, maxLength: 128).count }
        let seconds = Date().timeIntervalSince(start)
        print("encoded \(rows.count) MRPC dev pairs (\(tokens) tokens) in \(String(format: "%.3f", seconds)) s")
        #if DEBUG
        XCTAssertLessThan(seconds, 10)
        #else
        XCTAssertLessThan(seconds, 1)
        #endif
    }
}
