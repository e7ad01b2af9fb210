/// SentencePiece's unigram language model, `tokenizers`' `Unigram`
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/models/unigram/model.rs, `encode_optimized`,
/// after https://github.com/google/sentencepiece/blob/master/src/unigram_model.cc).
///
/// Viterbi over the word's UTF-8 bytes, stepping one scalar at a time: from each position `s` reached, every
/// vocabulary piece that is a prefix of the rest (a byte trie) extends the path to `s + len` with its score; when
/// no piece of exactly one scalar starts at `s`, `unk_id` covers that scalar with `min(score) − 10`. The best path
/// into a position maximizes the summed score; on a tie the first one found stays (earlier start, then shorter
/// piece). Backtracking gives the pieces, consecutive unknown ones fused into one. A piece that is not in the
/// vocabulary (a fused unknown) becomes its `<0xXX>` byte tokens when `byte_fallback` and all exist, else `unk_id`.
struct UnigramModel: SubwordModel {
    let vocabulary: Vocabulary
    let scores: [Double]
    let unknownId: Int32
    let byteFallback: Bool
    private let unknownScore: Double
    private let trie: ByteTrie

    /// Penalty below the lowest piece score for an unknown scalar (`K_UNK_PENALTY`).
    static let unknownPenalty = 10.0

    init(pieces: [(token: String, score: Double)], unknownId: Int32, byteFallback: Bool) {
        self.vocabulary = Vocabulary(tokens: pieces.map(\.token))
        self.scores = pieces.map(\.score)
        self.unknownId = unknownId
        self.byteFallback = byteFallback
        self.unknownScore = (scores.min() ?? 0) - UnigramModel.unknownPenalty
        var trie = ByteTrie()
        for token in vocabulary.tokens where !token.isEmpty {
            // The id the vocabulary resolves the token to (the last of duplicates), as `token_to_ids` does.
            trie.insert(Array(token.utf8), value: vocabulary.id(of: token)!)
        }
        self.trie = trie
    }

    func appendIds(of word: [Unicode.Scalar], to ids: inout [Int32]) {
        let bytes = Array(String(String.UnicodeScalarView(word)).utf8)
        let size = bytes.count
        guard size > 0 else { return }
        // best[i]: the best path ending at byte i: its score, where its last piece starts, and that piece's id.
        var bestScore = [Double](repeating: 0, count: size + 1)
        var bestStart = [Int](repeating: -1, count: size + 1)
        var bestId = [Int32](repeating: -1, count: size + 1)
        var start = 0
        while start < size {
            let scoreHere = bestScore[start]
            let scalarLength = UnigramModel.utf8Length(leadByte: bytes[start])
            var hasSingleScalarPiece = false
            trie.forEachPrefix(of: bytes, from: start) { length, id in
                let end = start + length
                let candidate = scoreHere + scores[Int(id)]
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate; bestStart[end] = start; bestId[end] = id
                }
                if length == scalarLength { hasSingleScalarPiece = true }
            }
            if !hasSingleScalarPiece {
                let end = start + scalarLength
                let candidate = scoreHere + unknownScore
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate; bestStart[end] = start; bestId[end] = unknownId
                }
            }
            start += scalarLength
        }
        // Backtrack, fusing consecutive unknown pieces.
        var pieces: [(range: Range<Int>, id: Int32)] = []
        var end = size
        while end > 0 {
            let s = bestStart[end], id = bestId[end]
            if id == unknownId, let last = pieces.last, last.id == unknownId, last.range.lowerBound == end {
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
            let text = String(decoding: bytes[piece.range], as: UTF8.self)
            if let id = vocabulary.id(of: text) {     // an unknown piece that is a vocabulary token (the unk token)
                ids.append(id)
                continue
            }
            if byteFallback {
                let byteIds = bytes[piece.range].map { vocabulary.id(of: BPEModel.byteToken($0)) }
                if byteIds.allSatisfy({ $0 != nil }) {
                    ids.append(contentsOf: byteIds.map { $0! })
                    continue
                }
            }
            ids.append(unknownId)
        }
    }

    @inline(__always) static func utf8Length(leadByte b: UInt8) -> Int {
        b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
    }
}

/// A byte trie of vocabulary pieces: `forEachPrefix` visits every piece that is a prefix of `bytes[from...]`,
/// shortest first (the common-prefix search of `tokenizers`' `Trie`).
struct ByteTrie: Sendable {
    private var children: [[UInt8: Int32]] = [[:]]
    private var values: [Int32?] = [nil]

    mutating func insert(_ key: [UInt8], value: Int32) {
        var node = 0
        for byte in key {
            if let next = children[node][byte] {
                node = Int(next)
            } else {
                children.append([:]); values.append(nil)
                let next = children.count - 1
                children[node][byte] = Int32(next)
                node = next
            }
        }
        values[node] = value
    }

    func forEachPrefix(of bytes: [UInt8], from start: Int, _ body: (_ length: Int, _ value: Int32) -> Void) {
        var node = 0
        var i = start
        while i < bytes.count, let next = children[node][bytes[i]] {
            node = Int(next)
            i += 1
            if let value = values[node] { body(i - start, value) }
        }
    }
}
