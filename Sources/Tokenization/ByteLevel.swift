/// GPT-2's byte-level alphabet and split, as `tokenizers`' `ByteLevel` pre-tokenizer uses them
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/pre_tokenizers/byte_level.rs).
///
/// Alphabet: each byte `b` is a printable scalar, `b` itself for `!`…`~`, `¡`…`¬`, `®`…`ÿ`, and `U+0100 + n` for
/// the n-th remaining byte in increasing order (space → `Ġ` U+0120, newline → `Ċ` U+010A).
/// Split: the leftmost matches of GPT-2's pattern
/// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`, written out by hand (the pattern
/// partitions the text, so every scalar is in exactly one piece).
enum ByteLevel {
    /// `alphabet[b]`: the scalar standing for byte `b`.
    static let alphabet: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 0x100
        for b in 0..<256 {
            if (0x21...0x7E).contains(b) || (0xA1...0xAC).contains(b) || (0xAE...0xFF).contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte-level form of `text`: its UTF-8 bytes, each as its alphabet scalar.
    static func encode(_ text: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.count)
        for scalar in text {
            for byte in String(scalar).utf8 { result.append(alphabet[Int(byte)]) }
        }
        return result
    }

    private enum Class { case letter, number, space, other }

    @inline(__always) private static func classify(_ s: Unicode.Scalar) -> Class {
        let v = s.value
        if v < 0x80 {
            if (0x41...0x5A).contains(v) || (0x61...0x7A).contains(v) { return .letter }
            if (0x30...0x39).contains(v) { return .number }
            if v == 0x20 || (0x09...0x0D).contains(v) { return .space }
            return .other
        }
        if s.properties.isWhitespace { return .space }
        switch s.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// The pieces of GPT-2's split of `text`, as ranges.
    static func split(_ text: [Unicode.Scalar]) -> [Range<Int>] {
        let n = text.count
        var pieces: [Range<Int>] = []
        var i = 0
        func run(from start: Int, _ cls: Class) -> Int {
            var j = start
            while j < n, classify(text[j]) == cls { j += 1 }
            return j
        }
        while i < n {
            // 's 't 're 've 'm 'll 'd (case-sensitive)
            if text[i] == "'", i + 1 < n {
                let c = text[i + 1]
                if c == "s" || c == "t" || c == "m" || c == "d" { pieces.append(i..<i + 2); i += 2; continue }
                if i + 2 < n {
                    let d = text[i + 2]
                    if (c == "r" && d == "e") || (c == "v" && d == "e") || (c == "l" && d == "l") {
                        pieces.append(i..<i + 3); i += 3; continue
                    }
                }
            }
            // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
            var start = i
            if text[i] == " ", i + 1 < n, classify(text[i + 1]) != .space { start = i + 1 }
            let cls = classify(text[start])
            if cls != .space {
                let end = run(from: start, cls)
                pieces.append(i..<end); i = end; continue
            }
            // '\s+(?!\S)' then '\s+'
            let end = run(from: i, .space)
            if end == n || end - i == 1 {
                pieces.append(i..<end); i = end
            } else {
                pieces.append(i..<end - 1); i = end - 1
            }
        }
        return pieces
    }
}
