import _TestSupport
import Foundation
import XCTest
import Tokenization

/// Bad tokenizer files: one error naming the file and the component or key, never a silent approximation.
final class TokenizerFileErrorTests: XCTestCase {
    static func fixture(_ family: String, _ name: String) throws -> String {
        try String(contentsOf: Fixtures.fixtures.appendingPathComponent("encoders/\(family)/\(name)"), encoding: .utf8)
    }

    /// Writes `json` as `tokenizer.json` in a fresh folder and returns the loader's error text.
    func loadError(_ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> (String, String) {
        let folder = try TemporaryDirectory()
        let path = try folder.file("tokenizer.json", Data(json.utf8)).path
        do {
            let tokenizer = try TokenizerLoader.load(folder: folder.url)
            XCTFail("loaded \(tokenizer.sourceDescription) from a bad file", file: file, line: line)
            return ("", path)
        } catch let error as TokenizationError {
            let text = error.description
            XCTAssertFalse(text.contains("\n"), "one line: \(text)", file: file, line: line)
            XCTAssertTrue(text.contains(path), "names the file: \(text)", file: file, line: line)
            return (text, path)
        }
    }

    /// `json` with `old` replaced by `new` once; fails when `old` is not there (the fixture changed).
    func edited(_ json: String, _ old: String, _ new: String, file: StaticString = #filePath, line: UInt = #line) -> String {
        XCTAssertTrue(json.contains(old), "fixture lacks \(old)", file: file, line: line)
        guard let range = json.range(of: old) else { return json }
        return json.replacingCharacters(in: range, with: new)
    }

    func testUnknownNormalizerIsNamed() throws {
        let json = try Self.fixture("bert-uncased-tokenizer-json", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"type\": \"BertNormalizer\"", "\"type\": \"FancyNormalizer\""))
        XCTAssertTrue(text.contains("normalizer.type: unsupported normalizer type 'FancyNormalizer'"), text)
    }

    func testUnknownNormalizerInsideASequenceIsNamedWithItsIndex() throws {
        let json = try Self.fixture("albert", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"type\": \"NFKD\"", "\"type\": \"NFKX\""))
        XCTAssertTrue(text.contains("normalizer.normalizers[2].type: unsupported normalizer type 'NFKX'"), text)
    }

    func testUnknownPreTokenizerIsNamed() throws {
        let json = try Self.fixture("xlm-roberta", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"type\": \"WhitespaceSplit\"", "\"type\": \"UnicodeScripts\""))
        XCTAssertTrue(text.contains("pre_tokenizer.pretokenizers[0].type: unsupported pre-tokenizer type 'UnicodeScripts'"), text)
    }

    func testUnknownModelIsNamed() throws {
        let json = try Self.fixture("roberta", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"type\": \"BPE\"", "\"type\": \"WordLevel\""))
        XCTAssertTrue(text.contains("model.type: unsupported model type 'WordLevel'"), text)
    }

    func testUnknownPostProcessorIsNamed() throws {
        let json = try Self.fixture("roberta", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"type\": \"RobertaProcessing\"", "\"type\": \"T5Processing\""))
        XCTAssertTrue(text.contains("post_processor.type: unsupported post-processor type 'T5Processing'"), text)
    }

    func testBPEWithoutMergesIsRefused() throws {
        let json = try Self.fixture("roberta", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"merges\": [", "\"no_merges\": ["))
        XCTAssertTrue(text.contains("model.merges: missing"), text)
    }

    func testPostProcessorSpecialTokenMissingFromTheVocabularyIsRefused() throws {
        let json = try Self.fixture("roberta", "tokenizer.json")
        let (text, _) = try loadError(edited(json, "\"sep\": [\n      \"</s>\"", "\"sep\": [\n      \"</sep>\""))
        XCTAssertTrue(text.contains("post_processor.sep: special token '</sep>' (id 2) is not in the vocabulary"), text)

        let template = try Self.fixture("bert-cased", "tokenizer.json")
        let (text2, _) = try loadError(edited(template, "\"tokens\": [\n          \"[CLS]\"", "\"tokens\": [\n          \"[KLS]\""))
        XCTAssertTrue(text2.contains("post_processor.special_tokens.[CLS]: special token '[KLS]' (id 2) is not in the vocabulary"),
                      text2)
    }

    func testMalformedJSONIsRefusedWithItsPosition() throws {
        let json = try Self.fixture("bert-cased", "tokenizer.json")
        let (text, _) = try loadError(String(json.prefix(200)))
        XCTAssertTrue(text.contains("not valid JSON: line "), text)
        let (text2, _) = try loadError("{\"model\": {\"type\": \"BPE\",}}")
        XCTAssertTrue(text2.contains("not valid JSON: line 1, column 26"), text2)
    }

    func testBadMergeLineInMergesTxtIsNamed() throws {
        let folder = try TemporaryDirectory()
        let roberta = Fixtures.fixtures.appendingPathComponent("encoders/roberta")
        for name in ["vocab.json", "tokenizer_config.json"] {
            try FileManager.default.copyItem(at: roberta.appendingPathComponent(name),
                                             to: folder.url.appendingPathComponent(name))
        }
        let merges = try folder.file("merges.txt", Data("#version: 0.2\nĠ t\nthree parts here\n".utf8))
        XCTAssertThrowsError(try TokenizerLoader.load(folder: folder.url)) { error in
            XCTAssertEqual("\(error)", "tokenizer file '\(merges.path)': line 3: 'three parts here' is not two tokens "
                           + "separated by one space")
        }
    }

    func testFolderWithoutTokenizerFilesIsRefused() throws {
        let folder = try TemporaryDirectory()
        XCTAssertThrowsError(try TokenizerLoader.load(folder: folder.url)) { error in
            XCTAssertEqual("\(error)", "model folder '\(folder.url.path)' has no tokenizer: expected tokenizer.json, "
                           + "vocab.txt, or vocab.json with merges.txt")
        }
    }
}
