import Foundation

/// The `Precompiled` normalizer: SentencePiece's normalization rules (`precompiled_charsmap`, base64 in
/// `tokenizer.json`) as XLM-RoBERTa, ALBERT, DeBERTa-v2, T5 … carry them.
///
/// Blob layout (little-endian): `u32 trieBytes`, then `trieBytes / 4` `u32` units of a darts-clone double-array
/// trie over UTF-8 bytes, then the replacement pool: NUL-terminated UTF-8 strings, a trie value being the offset of
/// one in the pool. A unit packs: bits 0–7 the label, bit 8 "has a leaf", bit 9 the offset shift flag, bits 10–31
/// the offset, `offset(u) = (u >> 10) << ((u & 0x200) >> 6)`; a leaf unit's value is `u & 0x7FFF_FFFF`.
/// From node `p`, byte `c` leads to `q = p ^ offset(unit[p]) ^ c` when `label(unit[q]) == c`; when `unit[q]` has a
/// leaf, the value is in `unit[q ^ offset(unit[q])]`.
///
/// Normalizing, as `tokenizers` does it (`normalizers/precompiled.rs` and the `spm_precompiled` crate): for each
/// extended grapheme cluster shorter than 6 UTF-8 bytes, if some rule's key is a prefix of it, the **whole**
/// cluster becomes the replacement of the **shortest** such key; otherwise each scalar of the cluster is looked up
/// the same way, and kept when no key matches.
struct PrecompiledCharsmap: Sendable {
    private let units: [UInt32]
    private let pool: [UInt8]

    /// Why a blob is not a charsmap.
    enum Malformed: Error, CustomStringConvertible {
        case tooShort, trieSizeNotMultipleOfFour(Int), trieLargerThanBlob(Int, Int), poolNotUTF8, emptyTrie
        var description: String {
            switch self {
            case .tooShort: return "shorter than its 4-byte trie size"
            case .trieSizeNotMultipleOfFour(let n): return "trie size \(n) is not a multiple of 4"
            case .trieLargerThanBlob(let n, let total): return "trie size \(n) exceeds the \(total - 4) bytes after it"
            case .poolNotUTF8: return "replacement strings are not valid UTF-8"
            case .emptyTrie: return "the trie has no unit"
            }
        }
    }

    init(blob: [UInt8]) throws {
        guard blob.count >= 4 else { throw Malformed.tooShort }
        let trieBytes = Int(UInt32(blob[0]) | UInt32(blob[1]) << 8 | UInt32(blob[2]) << 16 | UInt32(blob[3]) << 24)
        guard trieBytes % 4 == 0 else { throw Malformed.trieSizeNotMultipleOfFour(trieBytes) }
        guard trieBytes <= blob.count - 4 else { throw Malformed.trieLargerThanBlob(trieBytes, blob.count) }
        guard trieBytes > 0 else { throw Malformed.emptyTrie }
        var units: [UInt32] = []
        units.reserveCapacity(trieBytes / 4)
        var i = 4
        while i < 4 + trieBytes {
            units.append(UInt32(blob[i]) | UInt32(blob[i + 1]) << 8 | UInt32(blob[i + 2]) << 16 | UInt32(blob[i + 3]) << 24)
            i += 4
        }
        let pool = Array(blob[(4 + trieBytes)...])
        guard String(validating: pool, as: UTF8.self) != nil else { throw Malformed.poolNotUTF8 }
        self.units = units
        self.pool = pool
    }

    @inline(__always) private static func offset(_ unit: UInt32) -> Int {
        Int((unit >> 10) << ((unit & 0x200) >> 6))
    }

    /// The pool offset of the shortest key that is a prefix of `key`, or nil (the first common-prefix-search hit).
    func shortestPrefixValue(_ key: some Sequence<UInt8>) -> Int? {
        var node = PrecompiledCharsmap.offset(units[0])
        for byte in key {
            if byte == 0 { return nil }
            node ^= Int(byte)
            guard node < units.count else { return nil }
            let unit = units[node]
            guard unit & 0x8000_00FF == UInt32(byte) else { return nil }
            node ^= PrecompiledCharsmap.offset(unit)
            if (unit >> 8) & 1 == 1 {
                guard node < units.count else { return nil }
                return Int(units[node] & 0x7FFF_FFFF)
            }
        }
        return nil
    }

    /// The replacement for `chunk`, or nil when no key is a prefix of it.
    func transform(_ chunk: some Sequence<UInt8>) -> [Unicode.Scalar]? {
        guard let start = shortestPrefixValue(chunk), start <= pool.count else { return nil }
        var end = start
        while end < pool.count, pool[end] != 0 { end += 1 }
        return Array(String(decoding: pool[start..<end], as: UTF8.self).unicodeScalars)
    }

    /// `text` normalized by the charsmap (grapheme clusters as Swift's `Character`s).
    func normalize(_ text: [Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        let string = String(String.UnicodeScalarView(text))
        for grapheme in string {
            let utf8 = grapheme.utf8
            if utf8.count < 6, let replacement = transform(utf8) {
                result.append(contentsOf: replacement)
                continue
            }
            for scalar in grapheme.unicodeScalars {
                if let replacement = transform(String(scalar).utf8) {
                    result.append(contentsOf: replacement)
                } else {
                    result.append(scalar)
                }
            }
        }
        return result
    }
}
