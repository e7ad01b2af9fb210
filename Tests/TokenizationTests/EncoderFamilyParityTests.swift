import _TestSupport
import Foundation
import XCTest
import Tokenization

/// Ids identical to transformers 5.24 `AutoTokenizer` for every encoder family fixture (`Tests/Fixtures/encoders`):
/// all 408 MRPC dev pairs, the fixtures' 20 edge cases and our hostile strings (`Tests/Fixtures/encoders-ids`,
/// made by `Tools/goldens/make_tokenizer_goldens.py`), through `TokenizerLoader.load(folder:)`, through the general
/// pipeline without the BERT fast path, and through the vocab.txt / vocab.json + merges.txt fallbacks.
final class EncoderFamilyParityTests: XCTestCase {
    static let families = ["albert", "bert-cased", "bert-uncased-tokenizer-json", "deberta-v2", "distilbert",
                           "electra", "roberta", "xlm-roberta"]

    struct IdsGolden: Decodable {
        struct Pairs: Decodable { let input_ids: [[Int32]]; let token_type_ids: [[Int32]] }
        struct Hostile: Decodable { let texts: [String]; let single_ids: [[Int32]]; let pair_ids: [[Int32]] }
        struct Fallback: Decodable {
            let tokenizer_class: String
            let pairs_same_as_tokenizer_json: Bool
            let pairs: Pairs?
            let single_ids: [[Int32]]
            let pair_ids: [[Int32]]
        }
        let family: String
        let pairs: Pairs
        let hostile: Hostile
        let fallback: Fallback?
    }

    struct FixtureGolden: Decodable {
        struct EdgeCase: Decodable { let text: String; let input_ids: [Int32] }
        let tokenizer_edge_cases: [EdgeCase]
    }

    static func folder(_ family: String) -> URL {
        Fixtures.fixtures.appendingPathComponent("encoders/\(family)")
    }

    static func golden(_ family: String) throws -> IdsGolden {
        try loadFixture("encoders-ids/\(family).json", as: IdsGolden.self)
    }

    /// Compares `tokenizer` with the pair goldens; returns the number of identical pairs.
    @discardableResult
    func assertPairs(_ tokenizer: any PairTokenizer, _ expected: IdsGolden.Pairs, _ label: String,
                     file: StaticString = #filePath, line: UInt = #line) throws -> Int {
        let dev = try mrpcDevPairs()
        XCTAssertEqual(dev.count, 408, file: file, line: line)
        XCTAssertEqual(expected.input_ids.count, dev.count, "\(label): golden pair count", file: file, line: line)
        var identical = 0, reported = 0
        for (i, pair) in dev.enumerated() {
            let encoding = tokenizer.encodePair(pair.a, pair.b, maxLength: 128)
            if encoding.inputIds == expected.input_ids[i], encoding.tokenTypeIds == expected.token_type_ids[i] {
                identical += 1
            } else if reported < 3 {
                reported += 1
                let problem = firstMismatch(encoding.inputIds, expected.input_ids[i])
                    ?? firstMismatch(encoding.tokenTypeIds, expected.token_type_ids[i]).map { "token types: \($0)" } ?? ""
                XCTFail("\(label): dev pair \(i) (\(pair.a.prefix(40))…): \(problem)\n got      "
                        + "\(tokenizer.convertIdsToTokens(encoding.inputIds.map(Int.init)))\n expected "
                        + "\(tokenizer.convertIdsToTokens(expected.input_ids[i].map(Int.init)))", file: file, line: line)
            }
        }
        XCTAssertEqual(identical, dev.count, "\(label): identical pairs", file: file, line: line)
        return identical
    }

    func assertHostile(_ tokenizer: any PairTokenizer, texts: [String], single: [[Int32]], pairs: [[Int32]],
                       _ label: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertGreaterThanOrEqual(texts.count, 20, "\(label): the hostile strings changed", file: file, line: line)
        XCTAssertEqual(single.count, texts.count, label, file: file, line: line)
        for (i, text) in texts.enumerated() {
            let got = tokenizer.encodePair(text, nil, maxLength: 128).inputIds
            if let problem = firstMismatch(got, single[i]) {
                XCTFail("\(label): hostile \(i) \(text.debugDescription): \(problem)\n got      "
                        + "\(tokenizer.convertIdsToTokens(got.map(Int.init)))\n expected "
                        + "\(tokenizer.convertIdsToTokens(single[i].map(Int.init)))", file: file, line: line)
            }
            let next = texts[(i + 1) % texts.count]
            let gotPair = tokenizer.encodePair(text, next, maxLength: 128).inputIds
            if let problem = firstMismatch(gotPair, pairs[i]) {
                XCTFail("\(label): hostile pair \(i): \(problem)", file: file, line: line)
            }
        }
    }

    func testEveryFamilyMatchesTransformersOnAllDevPairsAndHostileStrings() throws {
        for family in Self.families {
            let golden = try Self.golden(family)
            XCTAssertEqual(golden.family, family)
            let tokenizer = try TokenizerLoader.load(folder: Self.folder(family))
            try assertPairs(tokenizer, golden.pairs, family)
            assertHostile(tokenizer, texts: golden.hostile.texts, single: golden.hostile.single_ids,
                          pairs: golden.hostile.pair_ids, family)
        }
    }

    func testEveryFamilyMatchesTheFixtureEdgeCases() throws {
        for family in Self.families {
            let tokenizer = try TokenizerLoader.load(folder: Self.folder(family))
            let fixture = try JSONDecoder().decode(FixtureGolden.self, from: Data(
                contentsOf: Self.folder(family).appendingPathComponent("golden.json")))
            XCTAssertEqual(fixture.tokenizer_edge_cases.count, 20, family)
            for item in fixture.tokenizer_edge_cases {
                let got = tokenizer.encodePair(item.text, nil, maxLength: 128).inputIds
                if let problem = firstMismatch(got, item.input_ids) {
                    XCTFail("\(family): \(item.text.debugDescription): \(problem)")
                }
            }
        }
    }

    /// A real SentencePiece `Precompiled` charsmap (nmt_nfkc) with a Unigram model, `<mask>` lstrip
    /// (`Tests/Fixtures/tokenizers/spm-precompiled`): all dev pairs and normalization-heavy strings.
    func testSentencePiecePrecompiledCharsmapMatchesTransformers() throws {
        let golden = try Self.golden("spm-precompiled")
        let tokenizer = try TokenizerLoader.load(folder: Fixtures.fixtures.appendingPathComponent("tokenizers/spm-precompiled"))
        XCTAssertEqual(tokenizer.vocabularySize, 1002)
        XCTAssertEqual(tokenizer.padId, 1)
        try assertPairs(tokenizer, golden.pairs, "spm-precompiled")
        XCTAssertEqual(golden.hostile.texts.count, 26)
        assertHostile(tokenizer, texts: golden.hostile.texts, single: golden.hostile.single_ids,
                      pairs: golden.hostile.pair_ids, "spm-precompiled")
    }

    /// Synthetic tokenizer.json files for the components no family uses (`Tests/Fixtures/tokenizers`, see
    /// `make_tokenizer_goldens.py`): Whitespace, Digits, Punctuation, Split (string and regex, every behaviour the
    /// files use), Prepend, Nmt, Strip, BPE with suffix / prefix / byte fallback / fused unknowns, Unigram byte
    /// fallback, Metaspace `first`, single_word / lstrip / rstrip added tokens, Bert / Template / Sequence processors.
    func testSyntheticComponentPipelinesMatchTokenizers() throws {
        for name in ["bpe-suffix-digits", "bpe-byte-fallback", "unigram-split-nmt", "wordpiece-split-strip"] {
            let golden = try Self.golden(name)
            let tokenizer = try TokenizerLoader.load(folder: Fixtures.fixtures.appendingPathComponent("tokenizers/\(name)"))
            try assertPairs(tokenizer, golden.pairs, name)
            assertHostile(tokenizer, texts: golden.hostile.texts, single: golden.hostile.single_ids,
                          pairs: golden.hostile.pair_ids, name)
        }
    }

    /// The general pipeline (no `BertTokenizer` fast path) gives the same ids for the WordPiece families.
    func testGeneralPipelineMatchesForWordPieceFamilies() throws {
        for family in ["bert-cased", "bert-uncased-tokenizer-json", "distilbert", "electra"] {
            let golden = try Self.golden(family)
            let fast = try TokenizerLoader.load(folder: Self.folder(family))
            let general = try TokenizerLoader.load(folder: Self.folder(family), fastPath: false)
            XCTAssertTrue(fast is BertTokenizer, "\(family): tokenizer.json of BERT form takes the fast path")
            XCTAssertTrue(general is PipelineTokenizer, family)
            try assertPairs(general, golden.pairs, "\(family) (general pipeline)")
            assertHostile(general, texts: golden.hostile.texts, single: golden.hostile.single_ids,
                          pairs: golden.hostile.pair_ids, "\(family) (general pipeline)")
        }
    }

    /// transformers' fallbacks without tokenizer.json: vocab.txt (+ tokenizer_config.json) and vocab.json + merges.txt.
    func testFallbacksWithoutTokenizerJSONMatchTransformers() throws {
        var checked = 0
        for family in Self.families {
            let golden = try Self.golden(family)
            guard let fallback = golden.fallback else { continue }
            let copy = try TemporaryDirectory()
            for name in try FileManager.default.contentsOfDirectory(atPath: Self.folder(family).path)
            where name != "tokenizer.json" {
                try FileManager.default.copyItem(at: Self.folder(family).appendingPathComponent(name),
                                                 to: copy.url.appendingPathComponent(name))
            }
            let tokenizer = try TokenizerLoader.load(folder: copy.url)
            XCTAssertTrue(tokenizer.sourceDescription.contains("vocab") || tokenizer is BertTokenizer,
                          "\(family): \(tokenizer.sourceDescription)")
            let expected = fallback.pairs_same_as_tokenizer_json ? golden.pairs : try XCTUnwrap(fallback.pairs)
            try assertPairs(tokenizer, expected, "\(family) without tokenizer.json (\(fallback.tokenizer_class))")
            assertHostile(tokenizer, texts: golden.hostile.texts, single: fallback.single_ids,
                          pairs: fallback.pair_ids, "\(family) without tokenizer.json")
            checked += 1
        }
        XCTAssertEqual(checked, 5, "bert-cased, bert-uncased-tokenizer-json, distilbert, electra, roberta have fallbacks")
    }

    /// Old tokenizer.json files (distilbert-base-uncased's) have no model `type`: a WordPiece model is recognised by
    /// its keys, as serde recognises it, and gives the same ids.
    func testWordPieceModelWithoutTypeLoads() throws {
        let source = Self.folder("distilbert").appendingPathComponent("tokenizer.json")
        let json = try String(contentsOf: source, encoding: .utf8)
        XCTAssertTrue(json.contains("\"type\": \"WordPiece\","))
        let copy = try TemporaryDirectory()
        try copy.file("tokenizer.json", Data(json.replacingOccurrences(of: "\"type\": \"WordPiece\",", with: "").utf8))
        for fastPath in [true, false] {
            let tokenizer = try TokenizerLoader.load(folder: copy.url, fastPath: fastPath)
            try assertPairs(tokenizer, try Self.golden("distilbert").pairs, "distilbert without model type")
        }
    }

    /// A bert-base-uncased-form tokenizer.json and the folder's vocab.txt give the same ids on every dev pair.
    func testUncasedTokenizerJSONEqualsVocabTxtPath() throws {
        let folder = Self.folder("bert-uncased-tokenizer-json")
        let fromJSON = try TokenizerLoader.load(folder: folder)
        let fromVocab = try BertTokenizer(vocabularyURL: folder.appendingPathComponent("vocab.txt"), doLowerCase: true)
        var identical = 0
        for pair in try mrpcDevPairs() {
            let a = fromJSON.encodePair(pair.a, pair.b, maxLength: 128)
            let b = fromVocab.encodePair(pair.a, pair.b, maxLength: 128)
            XCTAssertEqual(a, b, pair.a)
            if a == b { identical += 1 }
        }
        XCTAssertEqual(identical, 408)
        XCTAssertEqual(fromJSON.vocabularySize, fromVocab.vocabularySize)
    }

    /// The cased BERT keeps upper case and accents; the uncased one folds both.
    func testCasedKeepsCaseAndAccents() throws {
        let cased = try TokenizerLoader.load(folder: Self.folder("bert-cased"))
        let uncased = try TokenizerLoader.load(folder: Self.folder("bert-uncased-tokenizer-json"))
        let text = "Café Über Hello naïve"
        let casedTokens = cased.convertIdsToTokens(cased.encode(text))
        let uncasedTokens = uncased.convertIdsToTokens(uncased.encode(text))
        XCTAssertEqual(casedTokens, ["C", "##af", "##é", "[UNK]", "He", "##ll", "##o", "[UNK]"])
        XCTAssertEqual(uncasedTokens, ["c", "##a", "##f", "##e", "u", "##ber", "hel", "##lo", "n", "##a", "##ive"])
    }
}
