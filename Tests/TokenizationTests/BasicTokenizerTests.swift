import XCTest
import Tokenization

/// Hand-picked behaviours, each confirmed with tokenizers 0.23.3 (the backend of transformers 5.x
/// `BertTokenizer`). Several differ from the Python `BasicTokenizer` of transformers 4.x; noted where so.
final class BasicTokenizerTests: XCTestCase {
    func testBasicSplitting() {
        let basic = BasicTokenizer()
        XCTAssertEqual(basic.tokenize(" Hello,  World!\n"), ["hello", ",", "world", "!"])
        XCTAssertEqual(basic.tokenize("Café 北京"), ["cafe", "北", "京"])
        XCTAssertEqual(basic.tokenize(""), [])
        XCTAssertEqual(basic.tokenize(" \t\n "), [])
        let cased = BasicTokenizer(doLowerCase: false)
        XCTAssertEqual(cased.tokenize("Café, Über"), ["Café", ",", "Über"])
    }

    func testSpecialTokensAreSplitOffEverywhereButCaseSensitive() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let cases: [(String, [String], [Int])] = [
            ("hello[SEP]world", ["hello", "[SEP]", "world"], [7592, 102, 2088]),
            ("[UNK][CLS]abc", ["[UNK]", "[CLS]", "abc"], [100, 101, 5925]),
            ("a[MASK]b", ["a", "[MASK]", "b"], [1037, 103, 1038]),
            ("[[SEP]]", ["[", "[SEP]", "]"], [1031, 102, 1033]),
            ("[SEP", ["[", "sep"], [1031, 19802]),
            ("[cls] x", ["[", "cl", "##s", "]", "x"], [1031, 18856, 2015, 1033, 1060]),
        ]
        for (text, tokens, ids) in cases {
            XCTAssertEqual(tokenizer.tokenize(text), tokens, text)
            XCTAssertEqual(tokenizer.encode(text), ids, text)
        }
        XCTAssertEqual(BasicTokenizer(neverSplit: ["[SEP]", "[SEP][SEP]"]).tokenize("x[SEP][SEP][SEP]"),
                       ["x", "[SEP][SEP]", "[SEP]"], "longest special token wins")
    }

    /// Unicode cases where transformers 5.x follows the Rust pipeline.
    func testUnicodeBehaviourOfTheRustPipeline() throws {
        let tokenizer = try TestTokenizer.bertBaseUncased()
        let cases: [(String, [String])] = [
            // Lower-casing is per scalar without context: final Σ → σ (Python's str.lower() gives ς).
            ("ΟΔΥΣΣΕΥΣ", ["ο", "##δ", "##υ", "##σ", "##σ", "##ε", "##υ", "##σ"]),
            ("İstanbul", ["istanbul"]),                 // NFD + strip before lower-casing
            ("\u{1E9E}", ["ß"]),                        // capital sharp s lower-cases to ß
            ("a\u{2028}b", ["a", "b"]),                 // line separator is whitespace
            ("a\u{E001}b", ["ab"]),                     // private use removed as a control
            ("x\u{85}y", ["x", "##y"]),                 // NEL is Cc: removed, not whitespace
            ("a\u{200D}b", ["ab"]),                     // ZWJ (Cf) removed
            ("a\u{E0041}b", ["ab"]),                    // tag character (Cf) removed
            ("e\u{1ABF}x", ["[UNK]"]),                  // Mn from Unicode 14: not stripped (tables are 8.0)
            ("\u{166D}x", ["[UNK]", "x"]),              // punctuation in Unicode 8.0, So today
            ("x\u{11938}y", ["[UNK]"]),                 // decomposition newer than tokenizers' NFD tables
            ("\u{37E}", [";"]),                         // Greek question mark: NFD gives ';', then split
            ("x\u{301}", ["x"]), ("\u{301}x", ["x"]),   // stray combining marks stripped
            ("ﬁne", ["ﬁ", "##ne"]),                     // ligature: NFD keeps it (NFKD would not)
            ("Æsir", ["æ", "##sir"]),
        ]
        for (text, tokens) in cases {
            XCTAssertEqual(scalarValues(tokenizer.tokenize(text)), scalarValues(tokens), text.debugDescription)
        }
        // Hangul syllables decompose into jamo (NFD); CJK compatibility ideographs into unified ones.
        XCTAssertEqual(tokenizer.encode("한국어"), [1469, 30006, 30021, 29991, 30014, 30020, 29999, 30008])
        XCTAssertEqual(scalarValues(BasicTokenizer().tokenize("\u{F900}\u{F901}")), [[0x8C48], [0x66F4]])
        XCTAssertEqual(tokenizer.encode("\u{F900}\u{F901}"), [100, 100])
        XCTAssertEqual(tokenizer.encode("\u{2260} \u{212B}"), [1027, 1037])   // ≠ → "=" + mark; Å (angstrom) → a
    }

    /// Vocabulary lookups are exact, as in Python and Rust: canonically equivalent spellings are different tokens.
    func testVocabularyLookupIsScalarExact() throws {
        let vocabulary = Vocabulary(tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "\u{E9}", "e"])
        XCTAssertEqual(vocabulary.id(of: "\u{E9}"), 5)
        XCTAssertNil(vocabulary.id(of: "e\u{301}"))
        XCTAssertNotEqual(Vocabulary(tokens: ["\u{E9}"]), Vocabulary(tokens: ["e\u{301}"]))
        let cased = try BertTokenizer(vocabulary: vocabulary, doLowerCase: false)
        XCTAssertEqual(cased.tokenize("\u{E9} e\u{301}"), ["\u{E9}", "[UNK]"])
        XCTAssertEqual(cased.encode("\u{E9} e\u{301}"), [5, 1])
        let uncased = try BertTokenizer(vocabulary: vocabulary)
        XCTAssertEqual(uncased.encode("\u{C9} e\u{301}"), [6, 6])     // NFD + strip: both become "e"
    }
}
