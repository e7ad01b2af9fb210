/// SentencePiece's unigram language model, `tokenizers`' `Unigram`
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/models/unigram/model.rs, `encode_optimized`,
/// after https://github.com/google/sentencepiece/blob/master/src/unigram_model.cc).
///
/// Viterbi over the word's scalars: from each position `s` reached, every vocabulary piece that is a prefix of the
/// rest extends the path to `s + len` with its score (pieces tried shortest first, as `tokenizers`' trie yields
/// them); when no piece of exactly one scalar starts at `s`, `unk_id` covers that scalar with `min(score) − 10`.
/// The best path into a position maximizes the summed score; on a tie the first one found stays (earlier start,
/// then shorter piece). Backtracking gives the pieces, consecutive unknown ones fused into one. A piece that is not
/// in the vocabulary (a fused unknown) becomes its `<0xXX>` byte tokens when `byte_fallback` and all exist, else
/// `unk_id`. Prefixes are looked up in the vocabulary's hash table, up to the longest piece's length, rather than
/// in a trie: the same pieces in the same order, without a trie's memory for a 250k-piece vocabulary.
struct UnigramModel: SubwordModel {
    let vocabulary: Vocabulary
    let scores: [Double]
    let unknownId: Int32
    let byteFallback: Bool
    private let unknownScore: Double
    /// The longest piece, in scalars.
    private let longestPiece: Int

    /// Penalty below the lowest piece score for an unknown scalar (`K_UNK_PENALTY`).
    static let unknownPenalty = 10.0

    init(pieces: [(token: String, score: Double)], unknownId: Int32, byteFallback: Bool) {
        self.vocabulary = Vocabulary(tokens: pieces.map(\.token))
        self.scores = pieces.map(\.score)
        self.unknownId = unknownId
        self.byteFallback = byteFallback
        self.unknownScore = (scores.min() ?? 0) - UnigramModel.unknownPenalty
        self.longestPiece = pieces.map { $0.token.unicodeScalars.count }.max() ?? 0
    }

    func appendIds(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        let size = word.count
        guard size > 0 else { return }
        // best[i]: the best path ending at scalar i: its score, where its last piece starts, and that piece's id.
        var bestScore = [Double](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var bestId = [Int32](repeating: -1, count: size + 1)
        var candidate = String.UnicodeScalarView()
        for start in 0..<size where start == 0 || bestStart[start] >= 0 {
            let scoreHere = bestScore[start]
            var hasSingleScalarPiece = false
            candidate.removeAll(keepingCapacity: true)
            for end in (start + 1)...min(size, start + longestPiece) {
                candidate.append(word[end - 1])
                // Ids resolve to the last of duplicate tokens, as `token_to_ids` does; so do their scores.
                guard let id = vocabulary.id(of: String(candidate)) else { continue }
                let total = scoreHere + scores[Int(id)]
                if bestStart[end] < 0 || total > bestScore[end] {
                    bestScore[end] = total; bestStart[end] = start; bestId[end] = id
                }
                if end == start + 1 { hasSingleScalarPiece = true }
            }
            if !hasSingleScalarPiece {
                let total = scoreHere + unknownScore
                if bestStart[start + 1] < 0 || total > bestScore[start + 1] {
                    bestScore[start + 1] = total; bestStart[start + 1] = start; bestId[start + 1] = unknownId
                }
            }
        }
        // Backtrack, fusing consecutive unknown pieces.
        var pieces: [(range: Range<Int>, id: Int32)] = []
        var end = size
        while end > 0 {
            let s = bestStart[end], id = bestId[end]
            if id == unknownId, let last = pieces.last, last.id == unknownId {
                pieces[pieces.count - 1] = (s..<last.range.upperBound, unknownId)
            } else {
                pieces.append((s..<end, id))
            }
            end = s
        }
        for piece in pieces.reversed() {
            if piece.id != unknownId {
                ids.append(piece.id)
                continue
            }
            let text = String(String.UnicodeScalarView(word[piece.range]))
            if let id = vocabulary.id(of: text) {     // an unknown piece that is a vocabulary token (the unk token)
                ids.append(id)
                continue
            }
            if byteFallback {
                let byteIds = text.utf8.map { vocabulary.id(of: BPEModel.byteToken($0)) }
                if byteIds.allSatisfy({ $0 != nil }) {
                    ids.append(contentsOf: byteIds.map { $0! })
                    continue
                }
            }
            ids.append(unknownId)
        }
    }
}
