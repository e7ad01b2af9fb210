/// Byte-pair encoding, `tokenizers`' `BPE` model
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/models/bpe/model.rs and `word.rs`).
///
/// A word starts as one symbol per scalar (`continuing_subword_prefix` in front of all but the first,
/// `end_of_word_suffix` after the last). A scalar not in the vocabulary becomes its `<0xXX>` byte tokens when
/// `byte_fallback` and all exist, else `unk_token` (consecutive unknowns fused into one when `fuse_unk`), else it is
/// dropped, as `tokenizers` drops it. Then, while some adjacent pair of symbols is a merge, the pair with the lowest
/// rank (its line in `merges`) is merged, the leftmost on a tie: exactly the order of `tokenizers`' priority queue,
/// without its cache. With `ignore_merges`, a word that is itself in the vocabulary is that one token.
struct BPEModel: SubwordModel {
    let vocabulary: Vocabulary
    /// `(left id, right id)` → `(rank, merged id)`.
    let merges: [Pair: (rank: Int, id: Int32)]
    let unknownId: Int32?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    let continuingSubwordPrefix: String
    let endOfWordSuffix: String

    struct Pair: Hashable, Sendable {
        let left: Int32
        let right: Int32
    }

    func appendIds(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        if ignoreMerges, let id = vocabulary.id(of: String(String.UnicodeScalarView(word))) {
            ids.append(id)
            return
        }
        var symbols: [Int32] = []
        symbols.reserveCapacity(word.count)
        var pendingUnknown = false
        for (index, scalar) in word.enumerated() {
            var piece = String(scalar)
            if index > 0 { piece = continuingSubwordPrefix + piece }
            if index == word.count - 1 { piece += endOfWordSuffix }
            if let id = vocabulary.id(of: piece) {
                if pendingUnknown, let unk = unknownId { symbols.append(unk) }
                pendingUnknown = false
                symbols.append(id)
                continue
            }
            if byteFallback {
                let byteIds = piece.utf8.map { vocabulary.id(of: BPEModel.byteToken($0)) }
                if byteIds.allSatisfy({ $0 != nil }) {
                    // tokenizers adds the bytes without flushing a pending unknown first.
                    symbols.append(contentsOf: byteIds.map { $0! })
                    continue
                }
            }
            guard let unk = unknownId else { continue }
            if pendingUnknown, !fuseUnknown { symbols.append(unk) }
            pendingUnknown = true
        }
        if pendingUnknown, let unk = unknownId { symbols.append(unk) }
        mergeAll(&symbols)
        ids.append(contentsOf: symbols)
    }

    /// `<0x41>`: the byte-fallback token of a byte.
    static func byteToken(_ byte: UInt8) -> String {
        let hex = String(byte, radix: 16, uppercase: true)
        return "<0x\(hex.count == 1 ? "0" + hex : hex)>"
    }

    /// Merges pairs, lowest rank first, leftmost on ties, until no adjacent pair is a merge.
    private func mergeAll(_ symbols: inout [Int32]) {
        while symbols.count > 1 {
            var best: (index: Int, rank: Int, id: Int32)?
            for i in 0..<(symbols.count - 1) {
                if let merge = merges[Pair(left: symbols[i], right: symbols[i + 1])],
                   best == nil || merge.rank < best!.rank {
                    best = (i, merge.rank, merge.id)
                }
            }
            guard let (index, _, id) = best else { return }
            symbols[index] = id
            symbols.remove(at: index + 1)
        }
    }
}
