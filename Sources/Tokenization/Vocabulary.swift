import Foundation

/// A WordPiece vocabulary: one token per line of `vocab.txt`, the id of a token being its line index.
///
/// Mirrors `load_vocab` in Hugging Face transformers
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/tokenization_bert.py):
/// the file is read as UTF-8 text with universal newlines (`\r\n` and `\r` count as `\n`), each line keeps
/// everything but its newline, and when a token appears twice the later line's id wins.
/// Tokens are compared scalar for scalar, as Python and Rust compare strings: unlike `String`'s `==`,
/// `"é"` (U+00E9) and `"e\u{301}"` are different tokens.
public struct Vocabulary: Sendable, Equatable {
    /// Tokens by id (`tokens[id]`), in file order, duplicates included.
    public let tokens: [String]
    private let idsByToken: [ExactKey: Int32]

    /// Number of ids (lines), the embedding table size the vocabulary implies.
    public var count: Int { tokens.count }

    /// Builds a vocabulary from tokens in id order.
    public init(tokens: [String]) {
        self.tokens = tokens
        var ids = [ExactKey: Int32](minimumCapacity: tokens.count)
        for (index, token) in tokens.enumerated() { ids[ExactKey(token)] = Int32(index) }
        self.idsByToken = ids
    }

    /// Loads `vocab.txt`.
    /// - Throws: `TokenizationError.vocabularyUnreadable`, `.vocabularyNotUTF8` or `.vocabularyEmpty`,
    ///   each naming `url.path`.
    public init(contentsOf url: URL) throws {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw TokenizationError.vocabularyUnreadable(path: url.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizationError.vocabularyNotUTF8(path: url.path)
        }
        let lines = Vocabulary.lines(of: text)
        guard !lines.isEmpty else { throw TokenizationError.vocabularyEmpty(path: url.path) }
        self.init(tokens: lines)
    }

    /// The id of `token`, or `nil` when it is not in the vocabulary.
    @inline(__always)
    public func id(of token: String) -> Int32? { idsByToken[ExactKey(token)] }

    /// Whether `token` is in the vocabulary.
    public func contains(_ token: String) -> Bool { id(of: token) != nil }

    /// Same tokens in the same order, compared scalar for scalar.
    public static func == (lhs: Vocabulary, rhs: Vocabulary) -> Bool {
        lhs.tokens.count == rhs.tokens.count
            && zip(lhs.tokens, rhs.tokens).allSatisfy { ExactKey($0) == ExactKey($1) }
    }

    /// The token with id `id`, or `nil` when `id` is out of range.
    public func token(of id: Int32) -> String? {
        let index = Int(id)
        return tokens.indices.contains(index) ? tokens[index] : nil
    }

    /// Python `readlines()` in text mode: split after each universal newline, drop the newline itself.
    /// A final line without a newline still counts; an empty file has no line.
    static func lines(of text: String) -> [String] {
        var lines: [String] = []
        var current = String.UnicodeScalarView()
        var previousWasCarriageReturn = false
        for scalar in text.unicodeScalars {
            if scalar == "\n" {
                if previousWasCarriageReturn {
                    previousWasCarriageReturn = false   // second half of "\r\n": the line already ended
                    continue
                }
                lines.append(String(current)); current = String.UnicodeScalarView()
            } else if scalar == "\r" {
                lines.append(String(current)); current = String.UnicodeScalarView()
                previousWasCarriageReturn = true
                continue
            } else {
                current.append(scalar)
            }
            previousWasCarriageReturn = false
        }
        if !current.isEmpty { lines.append(String(current)) }
        return lines
    }

    /// A dictionary key comparing and hashing the UTF-8 bytes of a string, not its canonical equivalence class
    /// (`String`'s `Hashable` would make `"é"` find `"e\u{301}"`, which Python and Rust lookups never do).
    struct ExactKey: Hashable, Sendable {
        let string: String
        init(_ string: String) { self.string = string }

        static func == (lhs: ExactKey, rhs: ExactKey) -> Bool {
            lhs.string.utf8.elementsEqual(rhs.string.utf8)
        }

        func hash(into hasher: inout Hasher) {
            var string = self.string
            string.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }
}
