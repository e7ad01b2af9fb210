import Foundation

/// Reads a Hugging Face `tokenizer.json` (the `tokenizers` serialization,
/// https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/tokenizer/serialization.rs) into a tokenizer.
///
/// Supported: normalizers `BertNormalizer`, `NFC`, `NFD`, `NFKC`, `NFKD`, `Lowercase`, `StripAccents`, `Replace`,
/// `Prepend`, `Strip`, `Nmt`, `Precompiled`, `Sequence`; pre-tokenizers `BertPreTokenizer`, `ByteLevel`,
/// `Metaspace`, `Whitespace`, `WhitespaceSplit`, `Split`, `Punctuation`, `Digits`, `Sequence`; models `WordPiece`,
/// `BPE`, `Unigram`; post-processors `BertProcessing`, `RobertaProcessing`, `TemplateProcessing`, `ByteLevel`,
/// `Sequence`; `added_tokens`. `truncation` and `padding` are ignored, as transformers replaces them per call.
/// Anything else is refused with the file and the key path of the component (`TokenizationError`), never
/// approximated. `decoder` is not read (QuantBench never decodes).
///
/// transformers 5 itself reads only the vocabulary, merges, post-processor and `Precompiled` charsmap of a
/// tokenizer.json for tokenizer classes with their own `__init__` (`BertTokenizer`, `XLMRobertaTokenizer`,
/// `AlbertTokenizer`, …) and rebuilds their normalizer and pre-tokenizer from `tokenizer_config.json`. For files it
/// saved (the fixtures; any checkpoint saved with transformers 5) the two are the same pipeline; an older file may
/// differ on rare inputs (an XLM-R file from the 4.x converter: identical on all MRPC dev pairs, but U+0085 is kept
/// as a piece by the file's pipeline and dropped by the rebuilt one). This reader follows the file.
///
/// A file of `bert-base-uncased` form (`BertNormalizer` → `BertPreTokenizer` → `WordPiece` `##` → the `[CLS] A [SEP]
/// B [SEP]` template, the five BERT special tokens) loads as `BertTokenizer`, the fast path, with the normalizer's
/// flags; `fastPath: false` builds the general pipeline instead (the tests compare the two).
public enum TokenizerJSON {
    /// The supported component types, by stage, as error messages list them.
    static let normalizerTypes = ["BertNormalizer", "NFC", "NFD", "NFKC", "NFKD", "Lowercase", "StripAccents",
                                  "Replace", "Prepend", "Strip", "Nmt", "Precompiled", "Sequence"]
    static let preTokenizerTypes = ["BertPreTokenizer", "ByteLevel", "Metaspace", "Whitespace", "WhitespaceSplit",
                                    "Split", "Punctuation", "Digits", "Sequence"]
    static let modelTypes = ["WordPiece", "BPE", "Unigram"]
    static let postProcessorTypes = ["BertProcessing", "RobertaProcessing", "TemplateProcessing", "ByteLevel",
                                     "Sequence"]

    /// Loads `url`.
    /// - Parameters:
    ///   - padToken: the pad token (`tokenizer_config.json` `pad_token`); nil looks for `[PAD]` then `<pad>`.
    ///   - fastPath: load a `bert-base-uncased`-form file as `BertTokenizer`.
    /// - Throws: `TokenizationError` naming the file and the key path of what is wrong or unsupported.
    public static func load(url: URL, padToken: String? = nil, fastPath: Bool = true) throws -> any PairTokenizer {
        let root = try readJSON(url)
        let file = url.path
        if fastPath, let bert = try bertFastPath(root, file: file, padToken: padToken) { return bert }
        return try pipeline(root, file: file, padToken: padToken)
    }

    /// Parses a JSON file into a node for reading.
    static func readJSON(_ url: URL) throws -> TokenizerFileNode {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizationError.unreadableTokenizerFile(path: url.path, reason: error.localizedDescription)
        }
        do {
            return TokenizerFileNode(value: try JSONValue.parse(data), file: url.path, keyPath: "")
        } catch let error as JSONValue.JSONSyntaxError {
            throw TokenizationError.unreadableTokenizerFile(path: url.path, reason: "not valid JSON: \(error)")
        }
    }

    static func pipeline(_ root: TokenizerFileNode, file: String, padToken: String?) throws -> PipelineTokenizer {
        _ = try root.members()
        let normalizer = try root.optional("normalizer").map(normalizer)
        let preTokenizer = try root.optional("pre_tokenizer").map(preTokenizer)
        let modelNode = try root.required("model")
        let (model, modelType, unknownToken) = try self.model(modelNode)
        let added = try addedTokens(root.optional("added_tokens"), model: model)
        func resolve(_ token: String) -> Int32? {
            added.last(where: { $0.content.elementsEqual(token.unicodeScalars) })?.id ?? model.vocabulary.id(of: token)
        }
        let postProcessor = try root.optional("post_processor").map { try self.postProcessor($0, resolve: resolve) }
        let padId: Int32
        if let padToken {
            guard let id = resolve(padToken) else {
                throw root.child("model", .null).child("vocab", .null)
                    .error("has no pad token '\(padToken)' (tokenizer_config.json pad_token)")
            }
            padId = id
        } else if let id = resolve("[PAD]") ?? resolve("<pad>") {
            padId = id
        } else {
            throw modelNode.error("has no pad token: neither '[PAD]' nor '<pad>' is in the vocabulary, and no "
                                  + "tokenizer_config.json pad_token names one")
        }
        return PipelineTokenizer(addedTokens: added, normalizer: normalizer, preTokenizer: preTokenizer, model: model,
                                 modelType: modelType, postProcessor: postProcessor, padId: padId,
                                 unknownToken: unknownToken ?? "", sourceDescription: "\(file) (\(modelType))")
    }

    // MARK: - Models

    /// A `{token: id}` object as a vocabulary; ids must be exactly `0..<count`.
    static func denseVocabulary(_ node: TokenizerFileNode) throws -> Vocabulary {
        let members = try node.members()
        var tokens = [String?](repeating: nil, count: members.count)
        for (key, value) in members {
            let id = try node.child(key, value).id()
            guard Int(id) < members.count else {
                throw node.error("token '\(key)' has id \(id), but the \(members.count) ids must be 0..<\(members.count)")
            }
            tokens[Int(id)] = key
        }
        if let hole = tokens.firstIndex(where: { $0 == nil }) {
            throw node.error("no token has id \(hole): ids must be 0..<\(members.count) (one id given twice?)")
        }
        return Vocabulary(tokens: tokens.map { $0! })
    }

    static func model(_ node: TokenizerFileNode) throws -> (any SubwordModel, String, String?) {
        let type = try node.optional("type")?.string() ?? inferredModelType(node)
        switch type {
        case "WordPiece":
            let vocabulary = try denseVocabulary(node.required("vocab"))
            let unk = try node.optionalString("unk_token") ?? "[UNK]"
            guard let unkId = vocabulary.id(of: unk) else {
                throw try node.required("unk_token").error("'\(unk)' is not in model.vocab")
            }
            let maxChars = try node.optional("max_input_chars_per_word").map { Int(try $0.id()) } ?? 100
            let prefix = try node.optionalString("continuing_subword_prefix") ?? "##"
            let wordpiece = WordpieceTokenizer(vocabulary: vocabulary, unknownToken: unk,
                                               maxInputCharactersPerWord: maxChars, continuingSubwordPrefix: prefix)
            return (WordPieceModel(wordpiece: wordpiece, unknownId: unkId), type, unk)
        case "BPE":
            return try bpe(node)
        case "Unigram":
            let vocabNode = try node.required("vocab")
            var pieces: [(token: String, score: Double)] = []
            for entry in try vocabNode.elements() {
                let pair = try entry.elements()
                guard pair.count == 2 else { throw entry.error("expected [token, score]") }
                pieces.append((try pair[0].string(), try pair[1].double()))
            }
            guard !pieces.isEmpty else { throw vocabNode.error("is empty") }
            guard let unkNode = try node.optional("unk_id") else {
                throw node.child("unk_id", .null).error("is null: a Unigram model without an unknown token is not supported")
            }
            let unkId = try unkNode.id()
            guard Int(unkId) < pieces.count else {
                throw unkNode.error("\(unkId) is not an id of the \(pieces.count)-piece vocabulary")
            }
            let model = UnigramModel(pieces: pieces, unknownId: unkId,
                                     byteFallback: try node.bool("byte_fallback", default: false))
            return (model, type, pieces[Int(unkId)].token)
        default:
            throw try node.required("type").error("unsupported model type '\(type)' (supported: "
                                                  + modelTypes.joined(separator: ", ") + ")")
        }
    }

    /// Old files (distilbert-base-uncased's, xlnet's) omit the model's `type`; serde then tries BPE, WordPiece,
    /// WordLevel, Unigram in turn. Only the unambiguous cases are taken: `merges` is BPE, a `{token: id}` vocabulary
    /// with `max_input_chars_per_word` or `continuing_subword_prefix` is WordPiece, a `[[token, score]]` one Unigram.
    static func inferredModelType(_ node: TokenizerFileNode) throws -> String {
        if try node.optional("merges") != nil { return "BPE" }
        switch try node.optional("vocab")?.value {
        case .object?:
            if try node.optional("max_input_chars_per_word") != nil || node.optional("continuing_subword_prefix") != nil {
                return "WordPiece"
            }
        case .array?:
            return "Unigram"
        default:
            break
        }
        throw node.child("type", .null).error("missing, and the other keys do not tell which model this is")
    }

    static func bpe(_ node: TokenizerFileNode) throws -> (any SubwordModel, String, String?) {
        if let dropout = try node.optional("dropout"), try dropout.double() > 0 {
            throw dropout.error("BPE dropout is random at encoding time; only null or 0 is supported")
        }
        let vocabulary = try denseVocabulary(node.required("vocab"))
        let unk = try node.optionalString("unk_token")
        var unkId: Int32?
        if let unk {
            guard let id = vocabulary.id(of: unk) else { throw try node.required("unk_token").error("'\(unk)' is not in model.vocab") }
            unkId = id
        }
        let prefix = try node.optionalString("continuing_subword_prefix") ?? ""
        let suffix = try node.optionalString("end_of_word_suffix") ?? ""
        let mergesNode = try node.required("merges")
        var merges: [BPEModel.Pair: (rank: Int, id: Int32)] = [:]
        for (rank, entry) in try mergesNode.elements().enumerated() {
            let left: String, right: String
            if case .string(let line) = entry.value {
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw entry.error("'\(line)' is not two tokens separated by one space") }
                (left, right) = (String(parts[0]), String(parts[1]))
            } else {
                let pair = try entry.elements()
                guard pair.count == 2 else { throw entry.error("expected [left, right]") }
                (left, right) = (try pair[0].string(), try pair[1].string())
            }
            guard let a = vocabulary.id(of: left) else { throw entry.error("token '\(left)' is not in model.vocab") }
            guard let b = vocabulary.id(of: right) else { throw entry.error("token '\(right)' is not in model.vocab") }
            let rightScalars = Array(right.unicodeScalars)
            let prefixScalars = Array(prefix.unicodeScalars)
            let rest = !prefix.isEmpty && rightScalars.starts(with: prefixScalars)
                ? String(String.UnicodeScalarView(rightScalars.dropFirst(prefixScalars.count))) : right
            let mergedToken = left + rest
            guard let merged = vocabulary.id(of: mergedToken) else {
                throw entry.error("merged token '\(mergedToken)' is not in model.vocab")
            }
            merges[BPEModel.Pair(left: a, right: b)] = (rank, merged)
        }
        let model = BPEModel(vocabulary: vocabulary, merges: merges, unknownId: unkId,
                             fuseUnknown: try node.bool("fuse_unk", default: false),
                             byteFallback: try node.bool("byte_fallback", default: false),
                             ignoreMerges: try node.bool("ignore_merges", default: false),
                             continuingSubwordPrefix: prefix, endOfWordSuffix: suffix)
        return (model, "BPE", unk)
    }

    // MARK: - Added tokens

    /// `added_tokens`, with ids given as `tokenizers` gives them: the model's id of the content when it has one,
    /// else the next id after the model's vocabulary.
    static func addedTokens(_ node: TokenizerFileNode?, model: any SubwordModel) throws -> [AddedVocabulary.Token] {
        guard let node else { return [] }
        var tokens: [AddedVocabulary.Token] = []
        var nextId = Int32(model.vocabulary.count)
        for entry in try node.elements() {
            let content = try entry.required("content").string()
            if content.isEmpty { continue }
            let scalars = Array(content.unicodeScalars)
            let id: Int32
            if let existing = tokens.last(where: { $0.content == scalars }) {
                id = existing.id
            } else if let modelId = model.vocabulary.id(of: content) {
                id = modelId
            } else {
                id = nextId
                nextId += 1
            }
            if let stated = try entry.optional("id"), try stated.id() != id {
                throw stated.error("'\(content)' is given id \(try stated.id()), but the model vocabulary makes it \(id)")
            }
            let special = try entry.bool("special", default: false)
            tokens.removeAll { $0.content == scalars }
            tokens.append(AddedVocabulary.Token(
                content: scalars, id: id, special: special,
                normalized: try entry.bool("normalized", default: !special),
                lstrip: try entry.bool("lstrip", default: false), rstrip: try entry.bool("rstrip", default: false),
                singleWord: try entry.bool("single_word", default: false)))
        }
        return tokens
    }

    // MARK: - Post-processors

    static func postProcessor(_ node: TokenizerFileNode, resolve: (String) -> Int32?) throws -> PostProcessor {
        let type = try node.componentType()
        func special(_ key: String) throws -> Int32 {
            let pairNode = try node.required(key)
            let pair = try pairNode.elements()
            guard pair.count == 2 else { throw pairNode.error("expected [token, id]") }
            let token = try pair[0].string(), id = try pair[1].id()
            try check(token, id, at: pairNode, resolve: resolve)
            return id
        }
        switch type {
        case "BertProcessing":
            return .bert(cls: try special("cls"), sep: try special("sep"))
        case "RobertaProcessing":
            return .roberta(cls: try special("cls"), sep: try special("sep"))
        case "ByteLevel":
            return .byteLevel
        case "Sequence":
            return .sequence(try node.required("processors").elements().map { try postProcessor($0, resolve: resolve) })
        case "TemplateProcessing":
            var specials: [String: [Int32]] = [:]
            if let specialsNode = try node.optional("special_tokens") {
                for (name, value) in try specialsNode.members() {
                    let entry = specialsNode.child(name, value)
                    let ids = try entry.required("ids").elements().map { try $0.id() }
                    let tokens = try entry.required("tokens").elements().map { try $0.string() }
                    guard ids.count == tokens.count else { throw entry.error("has \(ids.count) ids but \(tokens.count) tokens") }
                    for (token, id) in zip(tokens, ids) { try check(token, id, at: entry, resolve: resolve) }
                    specials[name] = ids
                }
            }
            func template(_ key: String) throws -> [PostProcessor.TemplatePiece] {
                try node.required(key).elements().map { item in
                    let members = try item.members()
                    guard members.count == 1, let (kind, value) = members.first else {
                        throw item.error("expected {\"SpecialToken\": …} or {\"Sequence\": …}")
                    }
                    let body = item.child(kind, value)
                    let typeId = try body.optional("type_id")?.id() ?? 0
                    let id = try body.required("id").string()
                    switch kind {
                    case "Sequence":
                        guard id == "A" || id == "B" else { throw try body.required("id").error("expected \"A\" or \"B\", found '\(id)'") }
                        return .sequence(second: id == "B", typeId: typeId)
                    case "SpecialToken":
                        guard let ids = specials[id] else {
                            throw try body.required("id").error("special token '\(id)' is not in post_processor.special_tokens")
                        }
                        return .special(ids: ids, typeId: typeId)
                    default:
                        throw item.error("unknown template piece '\(kind)' (expected SpecialToken or Sequence)")
                    }
                }
            }
            return .template(single: try template("single"), pair: try template("pair"))
        default:
            throw try node.required("type").error("unsupported post-processor type '\(type)' (supported: "
                                                  + postProcessorTypes.joined(separator: ", ") + ")")
        }
    }

    /// Refuses a special token the post-processor names when the vocabulary does not have it with that id.
    private static func check(_ token: String, _ id: Int32, at node: TokenizerFileNode,
                              resolve: (String) -> Int32?) throws {
        guard let known = resolve(token) else {
            throw node.error("special token '\(token)' (id \(id)) is not in the vocabulary (model.vocab or added_tokens)")
        }
        guard known == id else {
            throw node.error("special token '\(token)' is given id \(id), but the vocabulary has it as \(known)")
        }
    }
}
