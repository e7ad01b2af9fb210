import Foundation

/// BERT's text normalizer, as transformers 5.x `BertTokenizer` runs it through the Rust `tokenizers`
/// `BertNormalizer` (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/normalizers/bert.rs),
/// the successor of `BasicTokenizer._clean_text` / `_tokenize_chinese_chars` / `_run_strip_accents` in
/// https://github.com/huggingface/transformers/blob/v4.46.0/src/transformers/models/bert/tokenization_bert.py.
///
/// In order, on Unicode scalars (never `Character`s, which would glue combining marks to their base):
/// 1. clean (when `cleanText`): drop U+0000, U+FFFD and controls (Cc, Cf, Co except `\t \n \r`); every whitespace
///    becomes `" "`;
/// 2. put `" "` on both sides of each CJK ideograph (when `handleChineseChars`);
/// 3. strip accents (when `stripAccents`): NFD, then drop non-spacing marks (Mn);
/// 4. lower-case (when `lowercase`): each scalar's full lower-case mapping, without context
///    (so a final capital sigma becomes `σ`, not `ς`, unlike Python's `str.lower()`).
/// `tokenizer.json`'s `{"type": "BertNormalizer", "clean_text", "handle_chinese_chars", "strip_accents",
/// "lowercase"}` is this struct, `strip_accents: null` meaning "as `lowercase`".
struct BertNormalizer: Sendable {
    var stripAccents: Bool
    var lowercase: Bool
    var cleanText = true
    var handleChineseChars = true

    func normalize<Scalars: Sequence<Unicode.Scalar>>(_ text: Scalars) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.underestimatedCount + 8)
        var sawNonASCII = false
        for scalar in text {
            let v = scalar.value
            if cleanText, v == 0 || v == 0xFFFD || scalar.isBertControl { continue }
            if cleanText, scalar.isBertWhitespace {
                scalars.append(" ")
            } else {
                if v >= 0x80 { sawNonASCII = true }
                if handleChineseChars, scalar.isChineseCharacter {
                    scalars.append(" "); scalars.append(scalar); scalars.append(" ")
                } else {
                    scalars.append(scalar)
                }
            }
        }
        // ASCII text: NFD and mark stripping change nothing, lower-casing is A-Z only.
        guard sawNonASCII else {
            if lowercase {
                for i in scalars.indices where scalars[i].value >= 0x41 && scalars[i].value <= 0x5A {
                    scalars[i] = Unicode.Scalar(scalars[i].value + 0x20)!
                }
            }
            return scalars
        }
        if stripAccents {
            scalars = BertNormalizer.canonicalDecomposition(scalars).filter { !$0.isBertNonspacingMark }
        }
        if lowercase {
            scalars = BertNormalizer.lowercased(scalars)
        }
        return scalars
    }

    /// NFD, leaving whole the few scalars whose decomposition `tokenizers`' normalization tables predate.
    /// Those are starters (combining class 0), so decomposing the runs between them is the same as
    /// decomposing the whole text.
    static func canonicalDecomposition(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count + 8)
        var run = String.UnicodeScalarView()
        func flush() {
            guard !run.isEmpty else { return }
            result.append(contentsOf: String(run).decomposedStringWithCanonicalMapping.unicodeScalars)
            run = String.UnicodeScalarView()
        }
        for scalar in scalars {
            if Unicode.Scalar.decompositionUnknownToTokenizers.contains(scalar.value) {
                flush()
                result.append(scalar)
            } else {
                run.append(scalar)
            }
        }
        flush()
        return result
    }
}

extension BertNormalizer {
    /// `scalars` lower-cased as Rust's `char::to_lowercase` does (what HF tokenizers' Lowercase and BertNormalizer
    /// use): ASCII A–Z directly, other scalars through their full Unicode lowercase mapping.
    static func lowercased<S: Sequence>(_ scalars: S) -> [Unicode.Scalar] where S.Element == Unicode.Scalar {
        var lowered: [Unicode.Scalar] = []
        lowered.reserveCapacity(scalars.underestimatedCount)
        for scalar in scalars {
            let v = scalar.value
            if v < 0x80 {
                lowered.append(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(v + 0x20)! : scalar)
            } else if scalar.properties.changesWhenLowercased {
                lowered.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            } else {
                lowered.append(scalar)
            }
        }
        return lowered
    }
}
