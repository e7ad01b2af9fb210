import Foundation

/// One Hugging Face encoder architecture (`config.json` `model_type`): how its configuration decodes, how its
/// checkpoint keys map to canonical names, which extra tensors it may carry, and its `EncoderLayout`.
///
/// One file per family (`Bert.swift`, `Roberta.swift`, `DistilBert.swift`, `Electra.swift`, `Albert.swift`), as
/// mlx-swift-lm's `MLXEmbedders/Models`; the registry is `EncoderFamilies.all`.
public protocol EncoderFamily {
    /// The `model_type` values this family reads (e.g. `["roberta", "xlm-roberta"]`).
    static var modelTypes: [String] { get }
    /// The base model's attribute name in the `…ForSequenceClassification` state dict, with its dot (`roberta.`).
    static var prefix: String { get }
    /// The configuration from `config.json` (HF names in `CodingKeys`), before `BertConfiguration.validate`.
    static func configuration(from decoder: Decoder) throws -> BertConfiguration
    /// The `config.json` key that holds the value BERT calls `bertKey` (DistilBERT: `hidden_size` → `dim`).
    static func configKey(_ bertKey: String) -> String
    /// Canonical name of checkpoint key `key` (pure): the base prefix stripped, legacy names fixed.
    static func sanitize(_ key: String) -> String
    /// Whether canonical tensor `name`, present in a checkpoint but not used by the classifier, is a known
    /// harmless extra that loading ignores (as transformers' `_keys_to_ignore_on_load_unexpected` did).
    static func isIgnoredExtra(_ name: String) -> Bool
    /// `isIgnoredExtra` for a family whose extras depend on the configuration (DeBERTa's unused position table).
    static func isIgnoredExtra(_ name: String, config: BertConfiguration) -> Bool
    /// Whether checkpoint tensor `name` (canonical) sits outside the base prefix, as the classifier head does.
    static func isHeadTensor(_ name: String) -> Bool
    /// How the family computes position ids.
    static func positions(_ config: BertConfiguration) -> EncoderLayout.Positions
    /// The classifier's tensors and execution order for a validated configuration.
    static func layout(_ config: BertConfiguration) -> EncoderLayout
}

extension EncoderFamily {
    public static func configKey(_ bertKey: String) -> String { bertKey }

    public static func positions(_ config: BertConfiguration) -> EncoderLayout.Positions { .absolute }

    /// Strips `prefix` and renames legacy LayerNorm `gamma`/`beta` to `weight`/`bias` (HF
    /// `_fix_state_dict_key_on_load`).
    public static func sanitize(_ key: String) -> String {
        var s = key.hasPrefix(prefix) ? String(key.dropFirst(prefix.count)) : key
        if s.hasSuffix(".gamma") { s = String(s.dropLast(6)) + ".weight" }
        else if s.hasSuffix(".beta") { s = String(s.dropLast(5)) + ".bias" }
        return s
    }

    public static func isIgnoredExtra(_ name: String, config: BertConfiguration) -> Bool { isIgnoredExtra(name) }

    /// `classifier*` and `pre_classifier*`.
    public static func isHeadTensor(_ name: String) -> Bool {
        name.hasPrefix("classifier") || name.hasPrefix("pre_classifier")
    }

    /// The embeddings' position-id and token-type-id buffers that older transformers versions saved.
    public static func isIgnoredExtra(_ name: String) -> Bool {
        name == "embeddings.position_ids" || name == "embeddings.token_type_ids"
    }
}

/// The registry of encoder families, looked up by `model_type`.
public enum EncoderFamilies {
    /// Every family QuantBench runs.
    public static let all: [any EncoderFamily.Type] = [Bert.self, Roberta.self, DistilBert.self, Electra.self,
                                                       Albert.self, DebertaV2.self]
    /// Families transformers has that QuantBench knows of but does not run yet.
    public static let notYetSupported: Set<String> = ["deberta"]

    /// Every supported `model_type`, sorted.
    public static var modelTypes: [String] { all.flatMap { $0.modelTypes }.sorted() }

    /// The family reading `modelType`, or nil.
    public static func family(_ modelType: String) -> (any EncoderFamily.Type)? {
        all.first { $0.modelTypes.contains(modelType) }
    }

    /// The family of a loaded configuration (its `modelType` was checked when it was decoded).
    static func family(of config: BertConfiguration) -> any EncoderFamily.Type {
        guard let f = family(config.modelType) else {
            preconditionFailure("BertConfiguration with unknown model_type \(config.modelType)")
        }
        return f
    }

    /// The family for `config.json` at `path`'s `model_type`.
    /// - Throws: `BERTError.modelTypeNotYetSupported` or `BERTError.unknownModelType`.
    static func family(_ modelType: String, path: String) throws -> any EncoderFamily.Type {
        if let f = family(modelType) { return f }
        if notYetSupported.contains(modelType) { throw BERTError.modelTypeNotYetSupported(path: path, modelType: modelType) }
        throw BERTError.unknownModelType(path: path, modelType: modelType, known: modelTypes)
    }
}
