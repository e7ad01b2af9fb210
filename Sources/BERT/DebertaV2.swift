/// `model_type: deberta-v2`: HF `DebertaV2ForSequenceClassification`
/// (`transformers/models/deberta_v2/modeling_deberta_v2.py`).
///
/// Embeddings: word (+ position only when `position_biased_input`, + token type only when `type_vocab_size` > 0)
/// `[rows, E]`, then `embeddings.embed_proj` `[hidden, E]` (no bias) when `E = embedding_size ≠ hidden_size`,
/// LayerNorm over hidden, padding rows set to 0 (× attention mask). Blocks `encoder.layer.N` with BERT's
/// structure but disentangled self-attention (`attention.self.{query,key,value}_proj`; `DisentangledAttention`):
/// relative positions in log buckets, the content→position and position→content terms against
/// `encoder.rel_embeddings` `[2·span, hidden]` (LayerNorm'ed by `encoder.LayerNorm` when `norm_rel_ebd` has
/// `layer_norm`), projected by the blocks' own query/key layers (`share_att_key`) or `pos_query_proj` /
/// `pos_key_proj`. Head `ContextPooler` on position 0: `pooler.dense` `[hidden, hidden]` → `pooler_hidden_act` →
/// `classifier` `[num_labels, hidden]` (both outside the `deberta.` prefix).
///
/// Refused with a `config.json` error: `relative_attention` false, `conv_kernel_size` > 0 (the ConvLayer), `pooler_hidden_size` ≠
/// `hidden_size`, `attention_head_size` ≠ `hidden_size / num_attention_heads`, `pos_att_type` other than `c2p`,
/// `p2c`.
///
/// Ignored extras: the position-id buffer and `embeddings.position_embeddings.weight` when
/// `position_biased_input` is false (transformers' `_keys_to_ignore_on_load_unexpected = ["position_embeddings"]`).
public enum DebertaV2: EncoderFamily {
    public static let modelTypes = ["deberta-v2"]
    public static let prefix = "deberta."

    /// The DeBERTa-v2 keys beyond BERT's.
    public struct Options: Sendable, Equatable {
        public var relativeAttention: Bool
        /// `position_buckets` (≤ 0: none) and `max_relative_positions` (< 1: `max_position_embeddings`).
        public var positionBuckets: Int
        public var maxRelativePositions: Int
        public var shareAttKey: Bool
        /// `pos_att_type`: a subset of `c2p`, `p2c`.
        public var posAttType: [String]
        /// `norm_rel_ebd`: `|`-separated, `layer_norm` normalises the relative embeddings.
        public var normRelEbd: String
        public var positionBiasedInput: Bool
        public var poolerHiddenSize: Int?
        public var poolerHiddenAct: String
        public var convKernelSize: Int
        public var attentionHeadSize: Int?

        public init(relativeAttention: Bool = true, positionBuckets: Int = 256, maxRelativePositions: Int = -1,
                    shareAttKey: Bool = true, posAttType: [String] = ["p2c", "c2p"], normRelEbd: String = "layer_norm",
                    positionBiasedInput: Bool = false, poolerHiddenSize: Int? = nil, poolerHiddenAct: String = "gelu",
                    convKernelSize: Int = 0, attentionHeadSize: Int? = nil) {
            self.relativeAttention = relativeAttention; self.positionBuckets = positionBuckets
            self.maxRelativePositions = maxRelativePositions; self.shareAttKey = shareAttKey
            self.posAttType = posAttType; self.normRelEbd = normRelEbd; self.positionBiasedInput = positionBiasedInput
            self.poolerHiddenSize = poolerHiddenSize; self.poolerHiddenAct = poolerHiddenAct
            self.convKernelSize = convKernelSize; self.attentionHeadSize = attentionHeadSize
        }

        /// The relative distance clip: `max_relative_positions`, or `max_position_embeddings` when < 1.
        public func maxRelative(_ c: BertConfiguration) -> Int {
            maxRelativePositions < 1 ? c.maxPositionEmbeddings : maxRelativePositions
        }
        /// `att_span` (HF `pos_ebd_size`): `position_buckets` when > 0, else `maxRelative`.
        public func span(_ c: BertConfiguration) -> Int { positionBuckets > 0 ? positionBuckets : maxRelative(c) }
        public var normalisesRelativeEmbeddings: Bool {
            normRelEbd.lowercased().split(separator: "|").contains { $0.trimmingCharacters(in: .whitespaces) == "layer_norm" }
        }
    }

    enum Keys: String, CodingKey {
        case relativeAttention = "relative_attention", positionBuckets = "position_buckets"
        case maxRelativePositions = "max_relative_positions", shareAttKey = "share_att_key", posAttType = "pos_att_type"
        case normRelEbd = "norm_rel_ebd", positionBiasedInput = "position_biased_input"
        case poolerHiddenSize = "pooler_hidden_size", poolerHiddenAct = "pooler_hidden_act"
        case convKernelSize = "conv_kernel_size", attentionHeadSize = "attention_head_size"
    }

    /// `DebertaV2Config()`'s defaults (deberta-v2-xlarge's shape).
    public static let defaults = BertConfiguration(
        vocabSize: 128100, hiddenSize: 1536, numHiddenLayers: 24, numAttentionHeads: 24, intermediateSize: 6144,
        typeVocabSize: 0, layerNormEps: 1e-7, modelType: "deberta-v2")

    public static func configuration(from decoder: Decoder) throws -> BertConfiguration {
        var c = try BertConfiguration(bertKeysFrom: decoder, defaults: defaults)
        let k = try decoder.container(keyedBy: Keys.self)
        // `pos_att_type` may be a list or a "p2c|c2p" string in older configs.
        var posAtt: [String]
        if let list = try? k.decodeIfPresent([String].self, forKey: .posAttType) {
            posAtt = list
        } else if let text = try k.decodeIfPresent(String.self, forKey: .posAttType) {
            posAtt = text.lowercased().split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        } else {
            posAtt = []
        }
        c.debertaV2 = Options(
            relativeAttention: try k.decodeIfPresent(Bool.self, forKey: .relativeAttention) ?? false,
            positionBuckets: try k.decodeIfPresent(Int.self, forKey: .positionBuckets) ?? -1,
            maxRelativePositions: try k.decodeIfPresent(Int.self, forKey: .maxRelativePositions) ?? -1,
            shareAttKey: try k.decodeIfPresent(Bool.self, forKey: .shareAttKey) ?? false,
            posAttType: posAtt, normRelEbd: try k.decodeIfPresent(String.self, forKey: .normRelEbd) ?? "none",
            positionBiasedInput: try k.decodeIfPresent(Bool.self, forKey: .positionBiasedInput) ?? true,
            poolerHiddenSize: try k.decodeIfPresent(Int.self, forKey: .poolerHiddenSize),
            poolerHiddenAct: try k.decodeIfPresent(String.self, forKey: .poolerHiddenAct) ?? "gelu",
            convKernelSize: try k.decodeIfPresent(Int.self, forKey: .convKernelSize) ?? 0,
            attentionHeadSize: try k.decodeIfPresent(Int.self, forKey: .attentionHeadSize))
        // embedding_size: DebertaV2Embeddings reads it with getattr(config, "embedding_size", hidden_size).
        let e = try decoder.container(keyedBy: BertConfiguration.CodingKeys.self)
        c.embeddingSize = try e.decodeIfPresent(Int.self, forKey: .embeddingSize)
        return c
    }

    /// Writes the DeBERTa-v2 keys of `config` (BERT's keys are written by `BertConfiguration.encode`).
    static func encode(_ o: Options, to encoder: Encoder) throws {
        var k = encoder.container(keyedBy: Keys.self)
        try k.encode(o.relativeAttention, forKey: .relativeAttention); try k.encode(o.positionBuckets, forKey: .positionBuckets)
        try k.encode(o.maxRelativePositions, forKey: .maxRelativePositions); try k.encode(o.shareAttKey, forKey: .shareAttKey)
        try k.encode(o.posAttType, forKey: .posAttType); try k.encode(o.normRelEbd, forKey: .normRelEbd)
        try k.encode(o.positionBiasedInput, forKey: .positionBiasedInput)
        try k.encodeIfPresent(o.poolerHiddenSize, forKey: .poolerHiddenSize)
        try k.encode(o.poolerHiddenAct, forKey: .poolerHiddenAct); try k.encode(o.convKernelSize, forKey: .convKernelSize)
        try k.encodeIfPresent(o.attentionHeadSize, forKey: .attentionHeadSize)
    }

    /// The DeBERTa-v2 checks `BertConfiguration.validate` adds (messages name the key).
    static func validate(_ c: BertConfiguration, _ o: Options, path: String) throws {
        if !o.relativeAttention {   // every published DeBERTa-v2 uses it; without it the scale differs too
            throw BERTError.unsupportedConfig(path: path, key: "relative_attention", value: "false")
        }
        if o.convKernelSize > 0 {
            throw BERTError.unsupportedConfig(path: path, key: "conv_kernel_size", value: "\(o.convKernelSize)")
        }
        if let p = o.poolerHiddenSize, p != c.hiddenSize {
            throw BERTError.invalidConfig(path: path, key: "pooler_hidden_size",
                                          expected: "hidden_size \(c.hiddenSize) (the classifier reads hidden_size), found \(p)")
        }
        if let a = o.attentionHeadSize, a != c.headDim {
            throw BERTError.unsupportedConfig(path: path, key: "attention_head_size", value: "\(a)")
        }
        if let bad = o.posAttType.first(where: { !["c2p", "p2c"].contains($0) }) {
            throw BERTError.unsupportedConfig(path: path, key: "pos_att_type", value: bad)
        }
        if EncoderLayout.Activation(hiddenAct: o.poolerHiddenAct) == nil && o.poolerHiddenAct != "tanh" {
            throw BERTError.unsupportedConfig(path: path, key: "pooler_hidden_act", value: o.poolerHiddenAct)
        }
        if o.relativeAttention && o.span(c) <= 0 {
            throw BERTError.invalidConfig(path: path, key: "position_buckets",
                                          expected: "a positive relative span, found \(o.span(c))")
        }
    }

    public static func isIgnoredExtra(_ name: String) -> Bool {
        name == "embeddings.position_ids"
    }

    /// The position-id buffer, and the position table when `position_biased_input` is false.
    public static func isIgnoredExtra(_ name: String, config c: BertConfiguration) -> Bool {
        isIgnoredExtra(name) || (c.debertaV2?.positionBiasedInput == false && name == "embeddings.position_embeddings.weight")
    }

    /// The log bucket of relative distance `r` (HF `make_log_bucket_position`; `DisentangledAttention.bucket`).
    public static func relativeBucket(_ r: Int, buckets: Int, maxPosition: Int) -> Int {
        DisentangledAttention.bucket(r, buckets: buckets, maxPosition: maxPosition)
    }

    public static func isHeadTensor(_ name: String) -> Bool {
        name.hasPrefix("classifier") || name.hasPrefix("pooler.")
    }

    public static func layout(_ c: BertConfiguration) -> EncoderLayout {
        let o = c.debertaV2!
        var tables = [EncoderLayout.Table(name: "embeddings.word_embeddings", rows: c.vocabSize, rowsKey: "vocab_size")]
        if o.positionBiasedInput {
            tables.append(EncoderLayout.Table(name: "embeddings.position_embeddings", rows: c.maxPositionEmbeddings,
                                              rowsKey: "max_position_embeddings"))
        }
        if c.typeVocabSize > 0 {
            tables.append(EncoderLayout.Table(name: "embeddings.token_type_embeddings", rows: c.typeVocabSize,
                                              rowsKey: "type_vocab_size"))
        }
        var relative: EncoderLayout.Relative?
        if o.relativeAttention {
            let span = o.span(c)
            tables.append(EncoderLayout.Table(name: "encoder.rel_embeddings", rows: 2 * span,
                                              rowsKey: o.positionBuckets > 0 ? "position_buckets" : "max_relative_positions",
                                              width: c.hiddenSize, widthKey: "hidden_size"))
            relative = EncoderLayout.Relative(
                table: "encoder.rel_embeddings", norm: o.normalisesRelativeEmbeddings ? "encoder.LayerNorm" : nil,
                span: span, buckets: o.positionBuckets, maxRelative: o.maxRelative(c),
                contentToPosition: o.posAttType.contains("c2p"), positionToContent: o.posAttType.contains("p2c"),
                shareKey: o.shareAttKey)
        }
        let blocks = (0..<c.numHiddenLayers).map { l -> EncoderLayout.Block in
            let p = "encoder.layer.\(l)"
            var b = EncoderLayout.Block.bert(p)
            b.query = "\(p).attention.self.query_proj"; b.key = "\(p).attention.self.key_proj"
            b.value = "\(p).attention.self.value_proj"
            if let r = relative, !r.shareKey {
                if r.contentToPosition { b.positionKey = "\(p).attention.self.pos_key_proj" }
                if r.positionToContent { b.positionQuery = "\(p).attention.self.pos_query_proj" }
            }
            return b
        }
        let E = c.embeddingWidth
        var layout = EncoderLayout(
            tables: tables, embeddingWidth: E, embeddingWidthKey: c.embeddingSize == nil ? "hidden_size" : "embedding_size",
            embeddingNorm: "embeddings.LayerNorm", projection: E == c.hiddenSize ? nil : "embeddings.embed_proj",
            blocks: blocks, stateNames: (0..<c.numHiddenLayers).map { "encoder.layer.\($0)" }, headDense: "pooler.dense",
            headActivation: EncoderLayout.Activation(hiddenAct: o.poolerHiddenAct) ?? .tanh, headOutput: "classifier",
            activation: EncoderLayout.Activation(hiddenAct: c.hiddenAct) ?? .geluErf, positions: .absolute,
            tokenTypes: c.typeVocabSize > 0 ? .fromBatch : .none, hidden: c.hiddenSize,
            intermediate: c.intermediateSize, labels: c.numLabels, relative: relative, projectionBeforeNorm: true,
            projectionBias: false, zeroPaddingEmbeddings: true, padQueriesAttendUniformly: true)
        if let r = relative, let norm = r.norm {
            layout.norms.insert(EncoderLayout.Norm(name: norm, width: c.hiddenSize, key: "hidden_size"), at: 1)
        }
        return layout
    }
}
