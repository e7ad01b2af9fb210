/// What a token's text says about it, for any family's vocabulary.
public enum TokenText {
    /// Markers subword models put on a token's text: WordPiece's continuation `##`, byte-level BPE's space `Ġ`
    /// (U+0120) and SentencePiece's `▁` (U+2581) in front, the end-of-word `</w>` of some BPE vocabularies at the end.
    public static func strippingSubwordMarkers(_ token: String) -> Substring {
        var t = Substring(token)
        for prefix in ["##", "\u{0120}", "\u{2581}"] where t.hasPrefix(prefix) {
            t = t.dropFirst(prefix.count)
            break
        }
        if t.hasSuffix("</w>") { t = t.dropLast(4) }
        return t
    }

    /// True when `token`, without its subword markers, is non-empty and every scalar is punctuation by BERT's
    /// rule (`_is_punctuation`: ASCII 33–47, 58–64, 91–96, 123–126, or a Unicode `P*` category). Byte-level BPE
    /// spells non-ASCII bytes as other characters (`âĢĻ` for `’`), so those do not count.
    public static func isPunctuation(_ token: String) -> Bool {
        let t = strippingSubwordMarkers(token)
        return !t.isEmpty && t.unicodeScalars.allSatisfy(\.isBertPunctuation)
    }
}
