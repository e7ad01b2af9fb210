import _TestSupport
import Foundation
import XCTest
import Tokenization

/// The Unicode tables of `tokenizers`' `NFKC` and `StripAccents` (older than Swift's), through a tiny tokenizer.json:
/// `Sequence[NFKC, StripAccents]` → `WhitespaceSplit` → `WordPiece`. Expected ids are what `tokenizers` 0.23.3
/// `Tokenizer.from_str` gives for this same file (checked with the Python venv of Tools/goldens).
final class NormalizerTableTests: XCTestCase {
    static let json = """
        {"version": "1.0", "truncation": null, "padding": null, "added_tokens": [],
         "normalizer": {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "StripAccents"}]},
         "pre_tokenizer": {"type": "WhitespaceSplit"}, "post_processor": null, "decoder": null,
         "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                   "max_input_chars_per_word": 100,
                   "vocab": {"[UNK]": 0, "[PAD]": 1, "a": 2, "fi": 3, "f": 4, "##i": 5, "1": 6, "\\u32ff": 7,
                             "\\ua7f2": 8, "##\\u0301": 9}}}
        """

    func testMarksAndCompatibilityFormsFollowTheOldTables() throws {
        let folder = try TemporaryDirectory()
        try folder.file("tokenizer.json", Data(Self.json.utf8))
        let tokenizer = try TokenizerLoader.load(folder: folder.url)
        let cases: [(String, [Int], String)] = [
            ("a\u{1CF2}", [2], "U+1CF2 was Mc in Unicode 9: stripped"),
            ("a\u{1CF3}", [2], "U+1CF3 was Mc in Unicode 9: stripped"),
            ("a\u{111C9}", [0], "U+111C9 was Po in Unicode 9: kept"),
            ("a\u{1ABF}", [0], "a mark from Unicode 13: kept"),
            ("a\u{0898}", [0], "a mark from Unicode 14: kept"),
            ("a\u{07FD}", [0], "a mark from Unicode 11: kept"),
            ("a\u{0301}", [0], "NFKC composes to á first; StripAccents does not decompose"),
            ("\u{FB01}", [3], "ligature fi"),
            ("\u{2460}", [6], "circled one"),
            ("\u{32FF}", [7], "Unicode 12.1 square era name: NFKC leaves it"),
            ("\u{A7F2}", [8], "Unicode 14 modifier letter: NFKC leaves it"),
        ]
        for (text, ids, why) in cases {
            XCTAssertEqual(tokenizer.encode(text), ids, "\(text.unicodeScalars.map { String($0.value, radix: 16) }): \(why)")
        }
    }
}
