import Foundation

/// Every error the `Tokenization` module throws.
///
/// Mirrors the failures of Hugging Face `BertTokenizer.__init__` / `load_vocab`
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/tokenization_bert.py),
/// but names the file involved so the message is actionable.
public enum TokenizationError: Error, CustomStringConvertible, Equatable {
    /// The vocabulary file could not be read (missing, unreadable, or a directory).
    case vocabularyUnreadable(path: String, reason: String)
    /// The vocabulary file is not valid UTF-8.
    case vocabularyNotUTF8(path: String)
    /// The vocabulary file holds no token.
    case vocabularyEmpty(path: String)
    /// A special token (`[CLS]`, `[SEP]`, …) that the tokenizer needs is not in the vocabulary.
    case missingSpecialToken(token: String, path: String)

    public var description: String {
        switch self {
        case let .vocabularyUnreadable(path, reason):
            return "cannot read vocabulary file '\(path)': \(reason)"
        case let .vocabularyNotUTF8(path):
            return "vocabulary file '\(path)' is not valid UTF-8"
        case let .vocabularyEmpty(path):
            return "vocabulary file '\(path)' is empty: expected one token per line"
        case let .missingSpecialToken(token, path):
            return "special token '\(token)' is missing from vocabulary '\(path)'"
        }
    }
}
