import Foundation

/// The Unicode normalization forms and the combining-mark test of `tokenizers`' `NFC`/`NFD`/`NFKC`/`NFKD` and
/// `StripAccents` normalizers, which use the tables of the `unicode-normalization-alignments` crate
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/normalizers/unicode.rs,
/// `normalizers/strip.rs`).
///
/// Those tables are older than Swift's: their decompositions are Unicode 12.0 (U+32FF SQUARE ERA NAME REIWA, 12.1,
/// is left whole by NFKC) and their marks Unicode 9.0. A scalar assigned later is unknown to them: normalization
/// leaves it whole, as a starter, so the text is normalized in runs between such scalars, which is the same as
/// normalizing the whole text under the old tables.
enum UnicodeForms {
    enum Form: String, Sendable { case nfc = "NFC", nfd = "NFD", nfkc = "NFKC", nfkd = "NFKD" }

    /// `text` in `form`, as `tokenizers` computes it.
    static func normalize(_ text: [Unicode.Scalar], _ form: Form) -> [Unicode.Scalar] {
        if text.allSatisfy({ $0.value < 0x80 }) { return text }     // ASCII is invariant under all four
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count + 8)
        var run = String.UnicodeScalarView()
        func flush() {
            guard !run.isEmpty else { return }
            let s = String(run)
            let normalized: String
            switch form {
            case .nfc: normalized = s.precomposedStringWithCanonicalMapping
            case .nfd: normalized = s.decomposedStringWithCanonicalMapping
            case .nfkc: normalized = s.precomposedStringWithCompatibilityMapping
            case .nfkd: normalized = s.decomposedStringWithCompatibilityMapping
            }
            result.append(contentsOf: normalized.unicodeScalars)
            run = String.UnicodeScalarView()
        }
        for scalar in text {
            if scalar.isKnownToTokenizersNormalization {
                run.append(scalar)
            } else {
                flush()
                result.append(scalar)
            }
        }
        flush()
        return result
    }
}

extension Unicode.Scalar {
    /// Assigned in Unicode 12.0 or earlier (the decomposition tables of `tokenizers`), and not one of the few
    /// decompositions those tables lack (U+11938 DIVES AKURU VOWEL SIGN O is 13.0 anyway).
    var isKnownToTokenizersNormalization: Bool {
        if value < 0x80 { return true }
        guard let age = properties.age else { return false }
        return age.major < 12 || (age.major == 12 && age.minor == 0)
    }

    /// `is_combining_mark` of `StripAccents`: General_Category Mark (Mn, Mc, Me) in Unicode 9.0. Since 9.0,
    /// U+1CF2/U+1CF3 VEDIC SIGN ARDHAVISARGA / ROTATED ARDHAVISARGA went from Mc to Lo, and U+111C9 SHARADA SANDHI
    /// MARK from Po to Mn. (Checked over all scalars against `tokenizers` 0.23.3.)
    var isTokenizersCombiningMark: Bool {
        let v = value
        if v < 0x300 || v == 0x111C9 { return false }
        if v == 0x1CF2 || v == 0x1CF3 { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark:
            guard let age = properties.age else { return false }
            return age.major <= 8 || (age.major == 9 && age.minor == 0)
        default:
            return false
        }
    }
}
