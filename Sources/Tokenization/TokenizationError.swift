import Foundation

/// Every error the `Tokenization` module throws.
///
/// Mirrors the failures of Hugging Face `BertTokenizer.__init__` / `load_vocab`
/// (https://github.com/huggingface/transformers/blob/main/src/transformers/models/bert/tokenization_bert.py)
/// and of `tokenizers`' `Tokenizer::from_file`, but names the file involved and, inside a JSON file, the key path of
/// the component, so the message is actionable.
public enum TokenizationError: Error, CustomStringConvertible, Equatable {
    /// The vocabulary file could not be read (missing, unreadable, or a directory).
    case vocabularyUnreadable(path: String, reason: String)
    /// The vocabulary file is not valid UTF-8.
    case vocabularyNotUTF8(path: String)
    /// The vocabulary file holds no token.
    case vocabularyEmpty(path: String)
    /// A special token (`[CLS]`, `[SEP]`, …) that the tokenizer needs is not in the vocabulary.
    case missingSpecialToken(token: String, path: String)
    /// A tokenizer file (`tokenizer.json`, `tokenizer_config.json`, `vocab.json`, `merges.txt`) could not be read
    /// or is not valid JSON / text.
    case unreadableTokenizerFile(path: String, reason: String)
    /// A tokenizer file is well-formed but a component or key in it is wrong or not supported; `key` is its path
    /// in the file (`normalizer.normalizers[1].type`, `model.merges`, or a line `line 12` of `merges.txt`).
    case invalidTokenizerFile(path: String, key: String, reason: String)
    /// A model folder has none of the tokenizer files QuantBench reads.
    case noTokenizerFiles(folder: String)

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
        case let .unreadableTokenizerFile(path, reason):
            return "cannot read tokenizer file '\(path)': \(reason)"
        case let .invalidTokenizerFile(path, key, reason):
            return "tokenizer file '\(path)': \(key): \(reason)"
        case let .noTokenizerFiles(folder):
            return "model folder '\(folder)' has no tokenizer: expected tokenizer.json, vocab.txt, "
                + "or vocab.json with merges.txt"
        }
    }
}
