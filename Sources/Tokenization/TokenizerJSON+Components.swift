import Foundation

/// The normalizer and pre-tokenizer objects of a `tokenizer.json`, and the BERT fast-path check.
extension TokenizerJSON {
    static func pattern(_ node: TokenizerFileNode) throws -> TextPattern {
        let members = try node.members()
        guard members.count == 1, let (kind, value) = members.first else {
            throw node.error("expected {\"String\": …} or {\"Regex\": …}")
        }
        let body = node.child(kind, value)
        switch kind {
        case "String":
            return .literal(Array(try body.string().unicodeScalars))
        case "Regex":
            let source = try body.string()
            do { return try TextPattern.compile(regex: source) } catch {
                throw body.error("regular expression '\(source)' is not supported: \(error)")
            }
        default:
            throw node.error("unknown pattern kind '\(kind)' (expected String or Regex)")
        }
    }

    static func normalizer(_ node: TokenizerFileNode) throws -> TextNormalizer {
        let type = try node.componentType()
        switch type {
        case "BertNormalizer":
            let lowercase = try node.bool("lowercase", default: true)
            return .bert(BertNormalizer(stripAccents: try node.optionalBool("strip_accents") ?? lowercase,
                                        lowercase: lowercase,
                                        cleanText: try node.bool("clean_text", default: true),
                                        handleChineseChars: try node.bool("handle_chinese_chars", default: true)))
        case "NFC": return .unicode(.nfc)
        case "NFD": return .unicode(.nfd)
        case "NFKC": return .unicode(.nfkc)
        case "NFKD": return .unicode(.nfkd)
        case "Lowercase": return .lowercase
        case "StripAccents": return .stripAccents
        case "Nmt": return .nmt
        case "Replace":
            return .replace(try pattern(node.required("pattern")),
                            content: Array(try node.required("content").string().unicodeScalars))
        case "Prepend":
            return .prepend(Array(try node.required("prepend").string().unicodeScalars))
        case "Strip":
            return .strip(left: try node.bool("strip_left", default: true), right: try node.bool("strip_right", default: true))
        case "Precompiled":
            let mapNode = try node.required("precompiled_charsmap")
            guard let blob = Data(base64Encoded: try mapNode.string()) else { throw mapNode.error("is not base64") }
            do { return .precompiled(try PrecompiledCharsmap(blob: [UInt8](blob))) } catch {
                throw mapNode.error("is not a SentencePiece charsmap: \(error)")
            }
        case "Sequence":
            return .sequence(try node.required("normalizers").elements().map(normalizer))
        default:
            throw try node.required("type").error("unsupported normalizer type '\(type)' (supported: "
                                                  + normalizerTypes.joined(separator: ", ") + ")")
        }
    }

    static func behavior(_ node: TokenizerFileNode) throws -> SplitBehavior {
        let name = try node.string()
        guard let behavior = SplitBehavior(rawValue: name) else {
            throw node.error("unknown split behavior '\(name)' (expected "
                             + SplitBehavior.allCases.map(\.rawValue).joined(separator: ", ") + ")")
        }
        return behavior
    }

    static func preTokenizer(_ node: TokenizerFileNode) throws -> PreTokenizer {
        let type = try node.componentType()
        switch type {
        case "BertPreTokenizer": return .bert
        case "Whitespace": return .whitespace
        case "WhitespaceSplit": return .whitespaceSplit
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try node.bool("add_prefix_space", default: true),
                              useRegex: try node.bool("use_regex", default: true))
        case "Metaspace":
            let replacementNode = try node.required("replacement")
            let replacement = Array(try replacementNode.string().unicodeScalars)
            guard replacement.count == 1 else { throw replacementNode.error("expected a single character") }
            var scheme = PreTokenizer.PrependScheme.always
            if let schemeNode = try node.optional("prepend_scheme") {
                let name = try schemeNode.string()
                guard let parsed = PreTokenizer.PrependScheme(rawValue: name) else {
                    throw schemeNode.error("unknown prepend scheme '\(name)' (expected always, first, never)")
                }
                scheme = parsed
            }
            let schemeGiven = try node.optional("prepend_scheme") != nil
            if try node.optionalBool("add_prefix_space") == false {
                guard scheme == .never || !schemeGiven else {
                    throw try node.required("add_prefix_space").error("false does not match prepend_scheme '\(scheme.rawValue)'")
                }
                scheme = .never
            }
            return .metaspace(replacement: replacement[0], prepend: scheme, split: try node.bool("split", default: true))
        case "Split":
            return .split(try pattern(node.required("pattern")), try behavior(node.required("behavior")),
                          invert: try node.bool("invert", default: false))
        case "Punctuation":
            return .punctuation(try node.optional("behavior").map(behavior) ?? .isolated)
        case "Digits":
            return .digits(individual: try node.bool("individual_digits", default: false))
        case "Sequence":
            return .sequence(try node.required("pretokenizers").elements().map(preTokenizer))
        default:
            throw try node.required("type").error("unsupported pre-tokenizer type '\(type)' (supported: "
                                                  + preTokenizerTypes.joined(separator: ", ") + ")")
        }
    }

    /// `BertTokenizer` when the file is exactly of `bert-base-uncased` form, else nil. Every component is still
    /// validated by `pipeline` when this returns nil.
    static func bertFastPath(_ root: TokenizerFileNode, file: String, padToken: String?) throws -> BertTokenizer? {
        guard let normalizerNode = try root.optional("normalizer"),
              try normalizerNode.componentType() == "BertNormalizer",
              try normalizerNode.bool("clean_text", default: true),
              let preNode = try root.optional("pre_tokenizer"), try preNode.componentType() == "BertPreTokenizer",
              let modelNode = try root.optional("model"),
              try modelNode.optional("type")?.string() ?? inferredModelType(modelNode) == "WordPiece",
              try modelNode.optionalString("unk_token") ?? "[UNK]" == "[UNK]",
              try modelNode.optionalString("continuing_subword_prefix") ?? "##" == "##",
              try modelNode.optional("max_input_chars_per_word").map({ try $0.id() }) ?? 100 == 100,
              padToken == nil || padToken == "[PAD]"
        else { return nil }
        let vocabulary = try denseVocabulary(modelNode.required("vocab"))
        // The five BERT special tokens, as themselves, nothing else added.
        let added = try addedTokens(root.optional("added_tokens"), model: WordPieceModel(
            wordpiece: WordpieceTokenizer(vocabulary: vocabulary), unknownId: 0))
        guard Set(added.map { String(String.UnicodeScalarView($0.content)) }) == Set(BasicTokenizer.defaultSpecialTokens),
              added.allSatisfy({ !$0.normalized && !$0.lstrip && !$0.rstrip && !$0.singleWord
                                 && Int($0.id) < vocabulary.count }) else { return nil }
        guard let cls = vocabulary.id(of: "[CLS]"), let sep = vocabulary.id(of: "[SEP]") else { return nil }
        func resolve(_ token: String) -> Int32? { vocabulary.id(of: token) }
        guard let postNode = try root.optional("post_processor") else { return nil }
        let post = try postProcessor(postNode, resolve: resolve)
        let bertTemplate = PostProcessor.template(
            single: [.special(ids: [cls], typeId: 0), .sequence(second: false, typeId: 0), .special(ids: [sep], typeId: 0)],
            pair: [.special(ids: [cls], typeId: 0), .sequence(second: false, typeId: 0), .special(ids: [sep], typeId: 0),
                   .sequence(second: true, typeId: 1), .special(ids: [sep], typeId: 1)])
        switch (post, bertTemplate) {
        case let (.template(s1, p1), .template(s2, p2)) where s1 == s2 && p1 == p2: break
        case let (.bert(c, s), _) where c == cls && s == sep: break
        default: return nil
        }
        let lowercase = try normalizerNode.bool("lowercase", default: true)
        return try BertTokenizer(vocabulary: vocabulary, doLowerCase: lowercase,
                                 stripAccents: try normalizerNode.optionalBool("strip_accents"),
                                 tokenizeChineseChars: try normalizerNode.bool("handle_chinese_chars", default: true),
                                 source: file)
    }
}
