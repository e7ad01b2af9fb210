/// The character classes BERT's normalizer and pre-tokenizer use, exactly as the Rust `tokenizers` library
/// behind transformers 5.x `BertTokenizer` defines them
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/normalizers/bert.rs and
/// https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/pre_tokenizers/bert.rs).
///
/// Their control / punctuation / non-spacing-mark tests come from the `unicode_categories` crate, whose tables
/// are Unicode 8.0: a code point assigned later belongs to none of those classes there, so it is neither removed,
/// nor split off, nor stripped. Swift knows a newer Unicode, so each test here also requires `age <= 8.0`, and
/// the few code points whose general category changed since 8.0 are listed explicitly. Whitespace and
/// lower-casing come from Rust's standard library (current Unicode), like Swift's.
/// The exhaustive check against `tokenizers` 0.23.3 over all 1,112,064 scalars is in `TokenizationTests`.
extension Unicode.Scalar {
    /// Assigned no later than Unicode 8.0, the version of the `unicode_categories` tables.
    @inline(__always)
    var isInBertUnicodeTables: Bool {
        guard let age = properties.age else { return false }
        return age.major < 8 || (age.major == 8 && age.minor == 0)
    }

    /// `is_control` of tokenizers' `BertNormalizer`: categories Cc, Cf, Co except `\t`, `\n`, `\r`.
    /// HF removes these in `_clean_text`.
    var isBertControl: Bool {
        let v = value
        if v < 0x80 { return (v < 0x20 && v != 0x09 && v != 0x0A && v != 0x0D) || v == 0x7F }
        switch properties.generalCategory {
        case .privateUse:
            return true
        case .control, .format:
            return isInBertUnicodeTables
        default:
            return false
        }
    }

    /// `is_whitespace` of tokenizers' `BertNormalizer` and the split of `BertPreTokenizer`:
    /// the Unicode `White_Space` property (which includes `\t`, `\n`, `\r`).
    @inline(__always)
    var isBertWhitespace: Bool {
        let v = value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        return properties.isWhitespace
    }

    /// `is_bert_punc` of tokenizers' `BertPreTokenizer`: ASCII punctuation (33–47, 58–64, 91–96, 123–126)
    /// or a Unicode punctuation category (Pc, Pd, Ps, Pe, Pi, Pf, Po).
    var isBertPunctuation: Bool {
        let v = value
        if v < 0x80 {
            return (v >= 33 && v <= 47) || (v >= 58 && v <= 64) || (v >= 91 && v <= 96) || (v >= 123 && v <= 126)
        }
        if Unicode.Scalar.punctuationSince8.contains(v) { return true }
        switch properties.generalCategory {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return isInBertUnicodeTables
        default:
            return false
        }
    }

    /// Category Mn (non-spacing mark): what accent stripping removes after NFD.
    var isBertNonspacingMark: Bool {
        let v = value
        if v < 0x300 { return false }
        if Unicode.Scalar.nonspacingMarkIn8Only.contains(v) { return true }
        if Unicode.Scalar.nonspacingMarkSince8Only.contains(v) { return false }
        return properties.generalCategory == .nonspacingMark && isInBertUnicodeTables
    }

    /// `_is_chinese_char` / `is_chinese_char`: the CJK Unified Ideograph blocks (not Hangul, Hiragana or Katakana).
    @inline(__always)
    var isChineseCharacter: Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
             0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// Punctuation in Unicode 8.0, not any more: U+166D CANADIAN SYLLABICS CHI SIGN (now So),
    /// U+111C9 SHARADA SANDHI MARK (now Mn).
    static let punctuationSince8: Set<UInt32> = [0x166D, 0x111C9]
    /// Mn in Unicode 8.0, Mc now: U+1734 HANUNOO SIGN PAMUDPOD, U+1171E AHOM CONSONANT SIGN MEDIAL RA.
    static let nonspacingMarkIn8Only: Set<UInt32> = [0x1734, 0x1171E]
    /// Mn now, but not in Unicode 8.0: U+1885/U+1886 MONGOLIAN LETTER ALI GALI BALUDA / THREE BALUDA (were Lo),
    /// U+A9BD JAVANESE CONSONANT SIGN KERET (was Mc), U+111C9 SHARADA SANDHI MARK (was Po).
    static let nonspacingMarkSince8Only: Set<UInt32> = [0x1885, 0x1886, 0xA9BD, 0x111C9]
    /// Scalars whose canonical decomposition is newer than the normalization tables `tokenizers` uses,
    /// so its NFD leaves them whole: U+11938 DIVES AKURU VOWEL SIGN O (Unicode 13).
    static let decompositionUnknownToTokenizers: Set<UInt32> = [0x11938]
}
