import Foundation
import _Support

/// An encoder classifier's configuration, decoded from a model folder's `config.json`: Hugging Face `BertConfig`
/// and the families built on it (`model_type` bert, roberta, xlm-roberta, electra, albert with BERT's key names;
/// distilbert through `DistilBert.configuration`, which maps its own names onto these fields).
///
/// Field names follow HF (`CodingKeys`); fields QuantBench does not use are ignored. Mirrors
/// `transformers/models/bert/configuration_bert.py` (and `configuration_electra.py`, `configuration_albert.py`
/// for `embedding_size`, `num_hidden_groups`, `inner_group_num`). Missing keys take the family's HF defaults.
public struct BertConfiguration: Codable, Sendable, Equatable {
    /// HF `model_type`: which `EncoderFamily` runs this configuration ("bert" when the key is absent).
    public var modelType: String
    public var vocabSize: Int
    public var hiddenSize: Int
    public var numHiddenLayers: Int
    public var numAttentionHeads: Int
    public var intermediateSize: Int
    /// "gelu" (exact erf), "gelu_new"/"gelu_pytorch_tanh" (tanh approximation) or "relu".
    public var hiddenAct: String
    public var maxPositionEmbeddings: Int
    public var typeVocabSize: Int
    public var layerNormEps: Float
    public var padTokenId: Int
    /// Number of classifier outputs: `num_labels`, else the size of `id2label`, else 2 (HF's default).
    public var numLabels: Int
    /// Label names by index, e.g. `["0": "LABEL_0"]`.
    public var id2label: [String: String]?
    public var architectures: [String]?
    public var positionEmbeddingType: String
    /// Dropout after embeddings and each sub-layer, in `[0, 1)` (HF `hidden_dropout_prob`).
    public var hiddenDropoutProb: Float
    /// Dropout on attention probabilities, in `[0, 1)` (HF `attention_probs_dropout_prob`).
    public var attentionProbsDropoutProb: Float
    /// Dropout before the classifier, in `[0, 1)`; nil means `hiddenDropoutProb` (HF `classifier_dropout`).
    public var classifierDropout: Float?
    /// Width `E` of the embedding tables when it differs from `hiddenSize` (ELECTRA, ALBERT `embedding_size`).
    public var embeddingSize: Int?
    /// ALBERT: groups of shared layers (`num_hidden_groups`) and layers per group (`inner_group_num`); 1 elsewhere.
    public var numHiddenGroups: Int
    public var innerGroupNum: Int
    /// DeBERTa-v2's own keys (relative attention, pooler); nil for the other families.
    public var debertaV2: DebertaV2.Options?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size", layerNormEps = "layer_norm_eps", padTokenId = "pad_token_id"
        case numLabels = "num_labels", id2label, architectures
        case positionEmbeddingType = "position_embedding_type"
        case hiddenDropoutProb = "hidden_dropout_prob", attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case classifierDropout = "classifier_dropout"
        case modelType = "model_type", embeddingSize = "embedding_size", numHiddenGroups = "num_hidden_groups"
        case innerGroupNum = "inner_group_num"
    }

    /// BERT-base defaults (HF `BertConfig()`), overridable member by member.
    public init(vocabSize: Int = 30522, hiddenSize: Int = 768, numHiddenLayers: Int = 12,
                numAttentionHeads: Int = 12, intermediateSize: Int = 3072, hiddenAct: String = "gelu",
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
                padTokenId: Int = 0, numLabels: Int = 2, id2label: [String: String]? = nil,
                architectures: [String]? = ["BertForSequenceClassification"],
                positionEmbeddingType: String = "absolute", hiddenDropoutProb: Float = 0.1,
                attentionProbsDropoutProb: Float = 0.1, classifierDropout: Float? = nil, modelType: String = "bert",
                embeddingSize: Int? = nil, numHiddenGroups: Int = 1, innerGroupNum: Int = 1) {
        self.modelType = modelType; self.embeddingSize = embeddingSize
        self.numHiddenGroups = numHiddenGroups; self.innerGroupNum = innerGroupNum
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize; self.layerNormEps = layerNormEps; self.padTokenId = padTokenId
        self.numLabels = numLabels; self.id2label = id2label; self.architectures = architectures
        self.positionEmbeddingType = positionEmbeddingType
        self.hiddenDropoutProb = hiddenDropoutProb; self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.classifierDropout = classifierDropout
    }

    /// Decodes with the family `model_type` names (`EncoderFamily.configuration(from:)`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.decodeIfPresent(String.self, forKey: .modelType) ?? "bert"
        guard let family = EncoderFamilies.family(type) else {
            throw DecodingError.dataCorruptedError(forKey: .modelType, in: c,
                                                   debugDescription: "unsupported model_type \(type)")
        }
        self = try family.configuration(from: decoder)
    }

    /// Decodes BERT's key names; a missing key takes its value from `defaults` (the family's HF defaults).
    init(bertKeysFrom decoder: Decoder, defaults d: BertConfiguration) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? d.modelType
        // Only the families that have these keys read them (ELECTRA and ALBERT; ALBERT alone has groups).
        embeddingSize = d.embeddingSize == nil ? nil
            : try c.decodeIfPresent(Int.self, forKey: .embeddingSize) ?? d.embeddingSize
        let grouped = d.modelType == "albert"
        numHiddenGroups = grouped ? try c.decodeIfPresent(Int.self, forKey: .numHiddenGroups) ?? d.numHiddenGroups : 1
        innerGroupNum = grouped ? try c.decodeIfPresent(Int.self, forKey: .innerGroupNum) ?? d.innerGroupNum : 1
        vocabSize = try c.decodeIfPresent(Int.self, forKey: .vocabSize) ?? d.vocabSize
        hiddenSize = try c.decodeIfPresent(Int.self, forKey: .hiddenSize) ?? d.hiddenSize
        numHiddenLayers = try c.decodeIfPresent(Int.self, forKey: .numHiddenLayers) ?? d.numHiddenLayers
        numAttentionHeads = try c.decodeIfPresent(Int.self, forKey: .numAttentionHeads) ?? d.numAttentionHeads
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize) ?? d.intermediateSize
        hiddenAct = try c.decodeIfPresent(String.self, forKey: .hiddenAct) ?? d.hiddenAct
        maxPositionEmbeddings = try c.decodeIfPresent(Int.self, forKey: .maxPositionEmbeddings) ?? d.maxPositionEmbeddings
        typeVocabSize = try c.decodeIfPresent(Int.self, forKey: .typeVocabSize) ?? d.typeVocabSize
        layerNormEps = try c.decodeIfPresent(Float.self, forKey: .layerNormEps) ?? d.layerNormEps
        padTokenId = try c.decodeIfPresent(Int.self, forKey: .padTokenId) ?? d.padTokenId
        id2label = try c.decodeIfPresent([String: String].self, forKey: .id2label)
        numLabels = try c.decodeIfPresent(Int.self, forKey: .numLabels) ?? id2label?.count ?? 2
        architectures = try c.decodeIfPresent([String].self, forKey: .architectures)
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? d.positionEmbeddingType
        hiddenDropoutProb = try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? d.hiddenDropoutProb
        attentionProbsDropoutProb = try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb)
            ?? d.attentionProbsDropoutProb
        classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout) ?? d.classifierDropout
    }

    /// Writes BERT's key names plus `model_type` (and `embedding_size` etc. where set); DistilBERT configurations
    /// are written with DistilBERT's names.
    public func encode(to encoder: Encoder) throws {
        if modelType == "distilbert" { return try DistilBert.encode(self, to: encoder) }
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(modelType, forKey: .modelType)
        try c.encode(vocabSize, forKey: .vocabSize); try c.encode(hiddenSize, forKey: .hiddenSize)
        try c.encode(numHiddenLayers, forKey: .numHiddenLayers); try c.encode(numAttentionHeads, forKey: .numAttentionHeads)
        try c.encode(intermediateSize, forKey: .intermediateSize); try c.encode(hiddenAct, forKey: .hiddenAct)
        try c.encode(maxPositionEmbeddings, forKey: .maxPositionEmbeddings)
        try c.encode(typeVocabSize, forKey: .typeVocabSize); try c.encode(layerNormEps, forKey: .layerNormEps)
        try c.encode(padTokenId, forKey: .padTokenId); try c.encode(numLabels, forKey: .numLabels)
        try c.encodeIfPresent(id2label, forKey: .id2label); try c.encodeIfPresent(architectures, forKey: .architectures)
        try c.encode(positionEmbeddingType, forKey: .positionEmbeddingType)
        try c.encode(hiddenDropoutProb, forKey: .hiddenDropoutProb)
        try c.encode(attentionProbsDropoutProb, forKey: .attentionProbsDropoutProb)
        try c.encodeIfPresent(classifierDropout, forKey: .classifierDropout)
        try c.encodeIfPresent(embeddingSize, forKey: .embeddingSize)
        if modelType == "albert" {
            try c.encode(numHiddenGroups, forKey: .numHiddenGroups); try c.encode(innerGroupNum, forKey: .innerGroupNum)
        }
        if let o = debertaV2 { try DebertaV2.encode(o, to: encoder) }
    }

    /// Width `E` of the embedding tables: `embeddingSize`, else `hiddenSize`.
    public var embeddingWidth: Int { embeddingSize ?? hiddenSize }

    /// The longest sequence the position table allows: `max_position_embeddings`, less `pad_token_id + 1` for
    /// families whose positions start after the padding index (RoBERTa, XLM-R).
    public var maxSequenceLength: Int {
        if case .offsetFromPadding(let p) = EncoderFamilies.family(of: self).positions(self) {
            return maxPositionEmbeddings - p - 1
        }
        return maxPositionEmbeddings
    }

    /// The family's layout of this configuration (`EncoderFamily.layout`).
    public var layout: EncoderLayout { EncoderFamilies.family(of: self).layout(self) }

    /// Per-head width `hidden / heads`.
    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Reads and validates `config.json`; errors name the file and the key.
    public static func load(_ url: URL) throws -> BertConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BERTError.missingFile(path: url.path)
        }
        struct Probe: Decodable { var model_type: String? }
        var config: BertConfiguration
        do {
            let type = try JSONDecoding.decode(Probe.self, from: data).model_type ?? "bert"
            _ = try EncoderFamilies.family(type, path: url.path)
            config = try JSONDecoding.decode(BertConfiguration.self, from: data)
        } catch let DecodingError.typeMismatch(type, ctx) {
            throw BERTError.invalidConfig(path: url.path, key: ctx.codingPath.map(\.stringValue).joined(separator: "."),
                                          expected: "a value of type \(type)")
        } catch let DecodingError.valueNotFound(type, ctx) {
            throw BERTError.invalidConfig(path: url.path, key: ctx.codingPath.map(\.stringValue).joined(separator: "."),
                                          expected: "a value of type \(type), found null")
        } catch let DecodingError.dataCorrupted(ctx) {
            let key = ctx.codingPath.map(\.stringValue).joined(separator: ".")
            throw BERTError.invalidConfig(path: url.path, key: key.isEmpty ? "(file)" : key,
                                          expected: key.isEmpty ? "valid JSON (\(ctx.debugDescription))" : ctx.debugDescription)
        } catch let error as BERTError {
            throw error
        } catch {
            throw BERTError.invalidConfig(path: url.path, key: "(file)", expected: "a JSON object: \(error)")
        }
        try config.validate(path: url.path)
        return config
    }

    /// Checks sizes are positive and consistent, `layer_norm_eps` finite and positive, `pad_token_id` inside the
    /// vocabulary, dropout probabilities in `[0, 1)`, the activation one we implement, and ALBERT's groups; errors
    /// name the family's own key (DistilBERT's `dim` for `hidden_size`).
    public func validate(path: String) throws {
        guard let family = EncoderFamilies.family(modelType) else {
            _ = try EncoderFamilies.family(modelType, path: path)
            return
        }
        let k = family.configKey
        var positives: [(String, Int)] = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
            ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
            ("max_position_embeddings", maxPositionEmbeddings), ("num_labels", numLabels),
            ("num_hidden_groups", numHiddenGroups), ("inner_group_num", innerGroupNum),
        ]
        if modelType != "distilbert" && modelType != "deberta-v2" { positives.append(("type_vocab_size", typeVocabSize)) }
        if typeVocabSize < 0 {
            throw BERTError.invalidConfig(path: path, key: "type_vocab_size", expected: "0 or more, found \(typeVocabSize)")
        }
        if let e = embeddingSize { positives.append(("embedding_size", e)) }
        for (key, v) in positives where v <= 0 {
            throw BERTError.invalidConfig(path: path, key: k(key), expected: "a positive integer, found \(v)")
        }
        if hiddenSize % numAttentionHeads != 0 {
            throw BERTError.invalidConfig(path: path, key: k("num_attention_heads"),
                                          expected: "a divisor of \(k("hidden_size")) \(hiddenSize), found \(numAttentionHeads)")
        }
        if numHiddenGroups > numHiddenLayers {
            throw BERTError.invalidConfig(path: path, key: "num_hidden_groups",
                                          expected: "at most num_hidden_layers \(numHiddenLayers), found \(numHiddenGroups)")
        }
        guard layerNormEps.isFinite, layerNormEps > 0 else {
            throw BERTError.invalidConfig(path: path, key: "layer_norm_eps",
                                          expected: "a finite positive number, found \(layerNormEps)")
        }
        guard (0..<vocabSize).contains(padTokenId) else {
            throw BERTError.invalidConfig(path: path, key: "pad_token_id",
                                          expected: "an id in 0..<\(k("vocab_size")) \(vocabSize), found \(padTokenId)")
        }
        let dropouts: [(String, Float?)] = [("hidden_dropout_prob", hiddenDropoutProb),
                                            ("attention_probs_dropout_prob", attentionProbsDropoutProb),
                                            ("classifier_dropout", classifierDropout)]
        for case let (key, p?) in dropouts where !(p >= 0 && p < 1) {
            throw BERTError.invalidConfig(path: path, key: k(key), expected: "a probability in [0, 1), found \(p)")
        }
        if EncoderLayout.Activation(hiddenAct: hiddenAct) == nil {
            throw BERTError.unsupportedConfig(path: path, key: k("hidden_act"), value: hiddenAct)
        }
        if positionEmbeddingType != "absolute" {
            throw BERTError.unsupportedConfig(path: path, key: "position_embedding_type", value: positionEmbeddingType)
        }
        if let o = debertaV2 { try DebertaV2.validate(self, o, path: path) }
        if maxSequenceLength <= 0 {
            throw BERTError.invalidConfig(path: path, key: "max_position_embeddings",
                                          expected: "more than pad_token_id + 1 = \(padTokenId + 1) (positions start "
                                              + "after the padding index), found \(maxPositionEmbeddings)")
        }
    }
}
