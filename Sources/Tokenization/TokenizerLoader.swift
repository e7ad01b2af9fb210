import Foundation

/// The tokenizer of a Hugging Face model folder, chosen from its files as transformers `AutoTokenizer` would:
///
/// 1. `tokenizer.json` (with `tokenizer_config.json`'s `pad_token`): `TokenizerJSON.load`;
/// 2. else `vocab.txt`: `BertTokenizer` with `tokenizer_config.json`'s `do_lower_case` (default true),
///    `strip_accents` (default: as `do_lower_case`) and `tokenize_chinese_chars` (default true), for the WordPiece
///    classes (`BertTokenizer`, `DistilBertTokenizer`, `ElectraTokenizer`, their `Fast` names, or none);
/// 3. else `vocab.json` + `merges.txt`: byte-level BPE as transformers 5 `RobertaTokenizer` builds it
///    (`ByteLevel(add_prefix_space)` → `BPE` → `RobertaProcessing(sep, cls)`, the seven special tokens of
///    `tokenizer_config.json` or their RoBERTa defaults), for `RobertaTokenizer` (or no class).
/// Anything else is one error naming the file and the key.
public enum TokenizerLoader {
    /// Every file a tokenizer may be read from; folders written from a model folder copy those that exist.
    public static let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
                                        "vocab.txt", "vocab.json", "merges.txt"]

    static let wordPieceClasses: Set<String> = ["BertTokenizer", "BertTokenizerFast", "DistilBertTokenizer",
                                                "DistilBertTokenizerFast", "ElectraTokenizer", "ElectraTokenizerFast"]
    static let byteLevelBPEClasses: Set<String> = ["RobertaTokenizer", "RobertaTokenizerFast"]

    /// Loads the tokenizer of `folder`.
    /// - Parameter fastPath: let a `bert-base-uncased`-form `tokenizer.json` load as `BertTokenizer`.
    /// - Throws: `TokenizationError` naming the file and the component or key at fault.
    public static func load(folder: URL, fastPath: Bool = true) throws -> any PairTokenizer {
        let fm = FileManager.default
        func file(_ name: String) -> URL? {
            let url = folder.appendingPathComponent(name)
            return fm.fileExists(atPath: url.path) ? url : nil
        }
        let config = try file("tokenizer_config.json").map(TokenizerJSON.readJSON)
        if let json = file("tokenizer.json") {
            return try TokenizerJSON.load(url: json, padToken: try tokenName(config, "pad_token"), fastPath: fastPath)
        }
        let tokenizerClass = try config?.optionalString("tokenizer_class")
        if let vocab = file("vocab.txt") {
            if let tokenizerClass, !wordPieceClasses.contains(tokenizerClass) {
                throw try config!.required("tokenizer_class").error(
                    "'\(tokenizerClass)' with vocab.txt is not supported (WordPiece classes: "
                    + wordPieceClasses.sorted().joined(separator: ", ") + "; other tokenizers need tokenizer.json)")
            }
            for (key, standard) in [("unk_token", "[UNK]"), ("sep_token", "[SEP]"), ("pad_token", "[PAD]"),
                                    ("cls_token", "[CLS]"), ("mask_token", "[MASK]")] {
                if let name = try tokenName(config, key), name != standard {
                    throw try config!.required(key).error("'\(name)' is not supported with vocab.txt (expected "
                                                          + "'\(standard)'; other special tokens need tokenizer.json)")
                }
            }
            let lower = try config?.bool("do_lower_case", default: true) ?? true
            return try BertTokenizer(vocabularyURL: vocab, doLowerCase: lower,
                                     stripAccents: try config?.optionalBool("strip_accents"),
                                     tokenizeChineseChars: try config?.bool("tokenize_chinese_chars", default: true) ?? true)
        }
        if let vocab = file("vocab.json"), let merges = file("merges.txt") {
            if let tokenizerClass, !byteLevelBPEClasses.contains(tokenizerClass) {
                throw try config!.required("tokenizer_class").error(
                    "'\(tokenizerClass)' with vocab.json and merges.txt is not supported (byte-level BPE classes: "
                    + byteLevelBPEClasses.sorted().joined(separator: ", ") + "; others need tokenizer.json)")
            }
            return try byteLevelBPE(vocab: vocab, merges: merges, config: config)
        }
        throw TokenizationError.noTokenizerFiles(folder: folder.path)
    }

    /// A special token named in `tokenizer_config.json`: a string, or an `AddedToken` object's `content`.
    static func tokenName(_ config: TokenizerFileNode?, _ key: String) throws -> String? {
        guard let node = try config?.optional(key) else { return nil }
        if case .object = node.value { return try node.required("content").string() }
        return try node.string()
    }

    static func byteLevelBPE(vocab: URL, merges: URL, config: TokenizerFileNode?) throws -> PipelineTokenizer {
        let vocabNode = try TokenizerJSON.readJSON(vocab)
        let data: Data
        do { data = try Data(contentsOf: merges) } catch {
            throw TokenizationError.unreadableTokenizerFile(path: merges.path, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw TokenizationError.unreadableTokenizerFile(path: merges.path, reason: "not valid UTF-8")
        }
        var mergeValues: [JSONValue] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let trimmed = line.hasSuffix("\r") ? line.dropLast() : line
            if trimmed.isEmpty || (index == 0 && trimmed.hasPrefix("#version")) { continue }
            let parts = trimmed.split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2 else {
                throw TokenizationError.invalidTokenizerFile(path: merges.path, key: "line \(index + 1)",
                                                             reason: "'\(trimmed)' is not two tokens separated by one space")
            }
            mergeValues.append(.array([.string(String(parts[0])), .string(String(parts[1]))]))
        }
        let modelNode = TokenizerFileNode(value: .object([
            ("type", .string("BPE")), ("vocab", vocabNode.value), ("merges", .array(mergeValues)),
        ]), file: vocab.path, keyPath: "")
        let (model, _, _) = try TokenizerJSON.bpe(modelNode)
        let addPrefixSpace = try config?.bool("add_prefix_space", default: false) ?? false
        var names: [(key: String, token: String)] = []
        for (key, fallback) in [("bos_token", "<s>"), ("eos_token", "</s>"), ("unk_token", "<unk>"),
                                ("sep_token", "</s>"), ("pad_token", "<pad>"), ("cls_token", "<s>"),
                                ("mask_token", "<mask>")] {
            names.append((key, try tokenName(config, key) ?? fallback))
        }
        var added: [AddedVocabulary.Token] = []
        var ids: [String: Int32] = [:]
        for (key, token) in names {
            guard let id = model.vocabulary.id(of: token) else {
                throw TokenizationError.invalidTokenizerFile(
                    path: vocab.path, key: token, reason: "special token \(key) is not in the vocabulary")
            }
            ids[key] = id
            let scalars = Array(token.unicodeScalars)
            if !added.contains(where: { $0.content == scalars }) {
                added.append(.init(content: scalars, id: id, special: true, normalized: false,
                                   lstrip: false, rstrip: false, singleWord: false))
            }
        }
        return PipelineTokenizer(addedTokens: added, normalizer: nil,
                                 preTokenizer: .byteLevel(addPrefixSpace: addPrefixSpace, useRegex: true),
                                 model: model, modelType: "BPE",
                                 postProcessor: .roberta(cls: ids["cls_token"]!, sep: ids["sep_token"]!),
                                 padId: ids["pad_token"]!, unknownToken: names[2].token,
                                 sourceDescription: "\(vocab.path) + \(merges.lastPathComponent) (byte-level BPE)")
    }
}
