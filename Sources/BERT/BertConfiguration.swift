import Foundation
import _Support

/// Hugging Face `BertConfig`, decoded from a model folder's `config.json`.
///
/// Field names follow HF (`CodingKeys`); fields QuantBench does not use are ignored. Mirrors
/// `transformers/models/bert/configuration_bert.py`.
public struct BertConfiguration: Codable, Sendable, Equatable {
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

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act", maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size", layerNormEps = "layer_norm_eps", padTokenId = "pad_token_id"
        case numLabels = "num_labels", id2label, architectures
        case positionEmbeddingType = "position_embedding_type"
        case hiddenDropoutProb = "hidden_dropout_prob", attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case classifierDropout = "classifier_dropout"
    }

    /// BERT-base defaults (HF `BertConfig()`), overridable member by member.
    public init(vocabSize: Int = 30522, hiddenSize: Int = 768, numHiddenLayers: Int = 12,
                numAttentionHeads: Int = 12, intermediateSize: Int = 3072, hiddenAct: String = "gelu",
                maxPositionEmbeddings: Int = 512, typeVocabSize: Int = 2, layerNormEps: Float = 1e-12,
                padTokenId: Int = 0, numLabels: Int = 2, id2label: [String: String]? = nil,
                architectures: [String]? = ["BertForSequenceClassification"],
                positionEmbeddingType: String = "absolute", hiddenDropoutProb: Float = 0.1,
                attentionProbsDropoutProb: Float = 0.1, classifierDropout: Float? = nil) {
        self.vocabSize = vocabSize; self.hiddenSize = hiddenSize; self.numHiddenLayers = numHiddenLayers
        self.numAttentionHeads = numAttentionHeads; self.intermediateSize = intermediateSize
        self.hiddenAct = hiddenAct; self.maxPositionEmbeddings = maxPositionEmbeddings
        self.typeVocabSize = typeVocabSize; self.layerNormEps = layerNormEps; self.padTokenId = padTokenId
        self.numLabels = numLabels; self.id2label = id2label; self.architectures = architectures
        self.positionEmbeddingType = positionEmbeddingType
        self.hiddenDropoutProb = hiddenDropoutProb; self.attentionProbsDropoutProb = attentionProbsDropoutProb
        self.classifierDropout = classifierDropout
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = BertConfiguration()
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
        positionEmbeddingType = try c.decodeIfPresent(String.self, forKey: .positionEmbeddingType) ?? "absolute"
        hiddenDropoutProb = try c.decodeIfPresent(Float.self, forKey: .hiddenDropoutProb) ?? d.hiddenDropoutProb
        attentionProbsDropoutProb = try c.decodeIfPresent(Float.self, forKey: .attentionProbsDropoutProb)
            ?? d.attentionProbsDropoutProb
        classifierDropout = try c.decodeIfPresent(Float.self, forKey: .classifierDropout)
    }

    /// Per-head width `hidden / heads`.
    public var headDim: Int { hiddenSize / numAttentionHeads }

    /// Reads and validates `config.json`; errors name the file and the key.
    public static func load(_ url: URL) throws -> BertConfiguration {
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw BERTError.missingFile(path: url.path)
        }
        let config: BertConfiguration
        do {
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
        } catch {
            throw BERTError.invalidConfig(path: url.path, key: "(file)", expected: "a JSON object: \(error)")
        }
        try config.validate(path: url.path)
        return config
    }

    /// Checks sizes are positive and consistent, `layer_norm_eps` finite and positive, `pad_token_id` inside the
    /// vocabulary, dropout probabilities in `[0, 1)`, and the activation one we implement.
    public func validate(path: String) throws {
        let positives: [(String, Int)] = [
            ("vocab_size", vocabSize), ("hidden_size", hiddenSize), ("num_hidden_layers", numHiddenLayers),
            ("num_attention_heads", numAttentionHeads), ("intermediate_size", intermediateSize),
            ("max_position_embeddings", maxPositionEmbeddings), ("type_vocab_size", typeVocabSize),
            ("num_labels", numLabels),
        ]
        for (key, v) in positives where v <= 0 {
            throw BERTError.invalidConfig(path: path, key: key, expected: "a positive integer, found \(v)")
        }
        if hiddenSize % numAttentionHeads != 0 {
            throw BERTError.invalidConfig(path: path, key: "num_attention_heads",
                                          expected: "a divisor of hidden_size \(hiddenSize), found \(numAttentionHeads)")
        }
        guard layerNormEps.isFinite, layerNormEps > 0 else {
            throw BERTError.invalidConfig(path: path, key: "layer_norm_eps",
                                          expected: "a finite positive number, found \(layerNormEps)")
        }
        guard (0..<vocabSize).contains(padTokenId) else {
            throw BERTError.invalidConfig(path: path, key: "pad_token_id",
                                          expected: "an id in 0..<vocab_size \(vocabSize), found \(padTokenId)")
        }
        let dropouts: [(String, Float?)] = [("hidden_dropout_prob", hiddenDropoutProb),
                                            ("attention_probs_dropout_prob", attentionProbsDropoutProb),
                                            ("classifier_dropout", classifierDropout)]
        for case let (key, p?) in dropouts where !(p >= 0 && p < 1) {
            throw BERTError.invalidConfig(path: path, key: key, expected: "a probability in [0, 1), found \(p)")
        }
        if !["gelu", "gelu_new", "gelu_pytorch_tanh", "relu"].contains(hiddenAct) {
            throw BERTError.unsupportedConfig(path: path, key: "hidden_act", value: hiddenAct)
        }
        if positionEmbeddingType != "absolute" {
            throw BERTError.unsupportedConfig(path: path, key: "position_embedding_type", value: positionEmbeddingType)
        }
    }
}
