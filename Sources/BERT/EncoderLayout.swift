/// One encoder family's sequence classifier as data: which tensors it has (canonical names, shapes and the
/// `config.json` keys that give them), and the order the shared engine (`BertModel.forward`) runs them in.
///
/// Every family is embeddings → `blocks.count` post-LayerNorm transformer blocks → a head on the first position:
/// ```
/// e      = word[id] + tokenType[tt] + position[p]           [rows, E]   (tokenType only where the family has it)
/// x      = LayerNorm(e) · projectionᵀ + b                   [rows, H]   (projection: ELECTRA when E ≠ H, ALBERT always)
/// block  : a = LayerNorm(x + Wo·attention(Wq x, Wk x, Wv x))
///          x = LayerNorm(a + W2·act(W1 a))
/// logits = headOutput(headActivation(headDense(x[:, 0])))   [batch, labels]
/// ```
/// A family file (`Bert.swift`, `Roberta.swift`, …) builds its layout from the configuration; names follow the
/// family's Hugging Face `state_dict()` without the base-model prefix (`bert.`, `roberta.`, …).
public struct EncoderLayout: Sendable, Equatable {
    /// How position ids are computed from the input ids.
    public enum Positions: Sendable, Equatable {
        /// `p = 0, 1, …, seq − 1` (BERT, DistilBERT, ELECTRA, ALBERT).
        case absolute
        /// RoBERTa's `create_position_ids_from_input_ids`: `p = paddingIdx + cumsum(id ≠ paddingIdx)` for real
        /// tokens and `paddingIdx` for padding tokens.
        case offsetFromPadding(paddingIdx: Int)

        /// The position id of every `[batch, seq]` entry of `inputIds` (row-major).
        public func ids(_ inputIds: [Int32], batch B: Int, seq S: Int) -> [Int] {
            switch self {
            case .absolute:
                return (0..<(B * S)).map { $0 % S }
            case .offsetFromPadding(let pad):
                var out = [Int](repeating: pad, count: B * S)
                for b in 0..<B {
                    var count = 0
                    for s in 0..<S where Int(inputIds[b * S + s]) != pad {
                        count += 1
                        out[b * S + s] = pad + count
                    }
                }
                return out
            }
        }
    }

    /// Where the Hugging Face module applies dropout in training mode, beyond the sites every family has (after
    /// the embedding LayerNorm, on the attention probabilities, after the FFN output, after the head's activation).
    /// The engine runs in eval mode and ignores it; the trainer (`Training.TrainableBert`) reads it.
    public struct Dropout: Sendable, Equatable {
        /// After the attention output projection, before its residual LayerNorm (BERT's `BertSelfOutput`;
        /// DistilBERT's `TransformerBlock` has none).
        public var afterAttentionOutput = true
        /// On the first position's vector before `headDense` (RoBERTa's and ELECTRA's `…ClassificationHead`,
        /// DeBERTa's `ContextPooler`).
        public var beforeHeadDense = false
    }

    /// Where token type ids come from.
    public enum TokenTypes: Sendable, Equatable {
        /// The batch's `tokenTypeIds` (BERT, ELECTRA).
        case fromBatch
        /// All 0, whatever the batch holds (RoBERTa, XLM-R, ALBERT: their transformers tokenizers return no
        /// `token_type_ids` — `model_input_names` — so the HF model runs on its zero buffer).
        case zeros
        /// The family has no token type table (DistilBERT).
        case none
    }

    /// An elementwise activation.
    public enum Activation: String, Sendable, Equatable {
        /// `x · Φ(x)` with the exact normal CDF (HF `gelu`).
        case geluErf
        /// `0.5 x (1 + tanh(√(2/π)(x + 0.044715 x³)))` (HF `gelu_new`, `gelu_pytorch_tanh`).
        case geluTanh
        case relu
        case tanh

        /// The activation a `config.json` `hidden_act` / `activation` value names, or nil.
        public init?(hiddenAct: String) {
            switch hiddenAct {
            case "gelu": self = .geluErf
            case "gelu_new", "gelu_pytorch_tanh": self = .geluTanh
            case "relu": self = .relu
            default: return nil
            }
        }
    }

    /// An embedding table `[rows, width]` (width `embeddingWidth` unless given); `rowsKey` is the `config.json`
    /// key giving `rows`.
    public struct Table: Sendable, Equatable {
        public var name: String
        public var rows: Int
        public var rowsKey: String
        public var width: Int? = nil
        public var widthKey: String? = nil
    }

    /// A linear layer, weight `[out, in]` and bias `[out]`, with the keys giving each dimension.
    public struct Linear: Sendable, Equatable {
        public var name: String
        public var out: Int, `in`: Int
        public var outKey: String, inKey: String
        /// Whether the layer has a bias `[out]` (DeBERTa's `embed_proj` has none).
        public var bias: Bool = true
    }

    /// A LayerNorm, γ and β `[width]`.
    public struct Norm: Sendable, Equatable {
        public var name: String
        public var width: Int
        public var key: String
    }

    /// The names one transformer block runs, in order.
    public struct Block: Sendable, Equatable {
        public var query, key, value, attentionOutput, attentionNorm, intermediate, output, outputNorm: String
        /// DeBERTa without `share_att_key`: the layers projecting the relative embeddings (else `key` / `query`).
        public var positionKey: String? = nil
        public var positionQuery: String? = nil

        /// BERT's names under `prefix` (e.g. `encoder.layer.3`), shared by RoBERTa, XLM-R and ELECTRA.
        public static func bert(_ prefix: String) -> Block {
            Block(query: "\(prefix).attention.self.query", key: "\(prefix).attention.self.key",
                  value: "\(prefix).attention.self.value", attentionOutput: "\(prefix).attention.output.dense",
                  attentionNorm: "\(prefix).attention.output.LayerNorm", intermediate: "\(prefix).intermediate.dense",
                  output: "\(prefix).output.dense", outputNorm: "\(prefix).output.LayerNorm")
        }
    }

    /// DeBERTa-v2's relative-position attention (`DisentangledAttention`).
    public struct Relative: Sendable, Equatable {
        /// The relative embedding table `[2·span, hidden]` and the LayerNorm applied to it first (or none).
        public var table: String
        public var norm: String?
        /// `att_span`; log buckets (`buckets` > 0) up to distance `maxRelative`.
        public var span: Int
        public var buckets: Int
        public var maxRelative: Int
        /// `pos_att_type` c2p and p2c.
        public var contentToPosition: Bool
        public var positionToContent: Bool
        /// Whether the blocks' own key/query layers project the relative embeddings (`share_att_key`).
        public var shareKey: Bool
    }

    /// The embedding tables: word, then position and token type where the family has them (and DeBERTa's
    /// relative table); width `embeddingWidth` unless the table says.
    public var tables: [Table]
    public var embeddingWidth: Int
    /// The `config.json` key giving `embeddingWidth`.
    public var embeddingWidthKey: String
    public var embeddingNorm: String
    /// The linear layer `E → H` after the embedding LayerNorm, when the family has one.
    public var projection: String?
    /// One block per depth, in execution order (ALBERT repeats its shared groups' names).
    public var blocks: [Block]
    /// The name under which each depth's output is observed (`ActivationTap` hidden states).
    public var stateNames: [String]
    public var headDense: String
    public var headActivation: Activation
    public var headOutput: String
    /// The feed-forward activation.
    public var activation: Activation
    public var positions: Positions
    public var tokenTypes: TokenTypes
    /// Every linear layer once, in execution order.
    public var linears: [Linear]
    /// Every LayerNorm once, in execution order.
    public var norms: [Norm]
    /// DeBERTa-v2: disentangled relative attention; nil for the others.
    public var relative: Relative?
    /// Embeddings projected to `H` before their LayerNorm (DeBERTa) instead of after it (ELECTRA, ALBERT).
    public var projectionBeforeNorm: Bool
    /// Embedding rows of padding tokens set to 0 after the LayerNorm (DeBERTa's `embeddings * mask`).
    public var zeroPaddingEmbeddings: Bool
    /// Padding query rows attend to every key with equal weight (DeBERTa's 2-D mask masks their whole row, and
    /// softmax of equal `finfo.min` scores is uniform); elsewhere they attend like real rows.
    public var padQueriesAttendUniformly: Bool
    /// Training-mode dropout sites (`Dropout`); the rates come from the configuration.
    public var dropout = Dropout()

    /// A layout from its execution order; `linears` and `norms` (each name once) are derived with the shapes a
    /// block of width `hidden` and feed-forward size `intermediate` has. `key` maps BERT's config key names
    /// (`hidden_size`, `intermediate_size`, `num_labels`, `embedding_size`) to the family's.
    init(tables: [Table], embeddingWidth: Int, embeddingWidthKey: String, embeddingNorm: String, projection: String?,
         blocks: [Block], stateNames: [String], headDense: String, headActivation: Activation, headOutput: String,
         activation: Activation, positions: Positions, tokenTypes: TokenTypes,
         hidden: Int, intermediate: Int, labels: Int, key: (String) -> String = { $0 }, relative: Relative? = nil,
         projectionBeforeNorm: Bool = false, projectionBias: Bool = true, zeroPaddingEmbeddings: Bool = false,
         padQueriesAttendUniformly: Bool = false) {
        self.relative = relative; self.projectionBeforeNorm = projectionBeforeNorm
        self.zeroPaddingEmbeddings = zeroPaddingEmbeddings; self.padQueriesAttendUniformly = padQueriesAttendUniformly
        self.tables = tables; self.embeddingWidth = embeddingWidth; self.embeddingWidthKey = embeddingWidthKey
        self.embeddingNorm = embeddingNorm; self.projection = projection; self.blocks = blocks
        self.stateNames = stateNames; self.headDense = headDense; self.headActivation = headActivation
        self.headOutput = headOutput; self.activation = activation; self.positions = positions
        self.tokenTypes = tokenTypes
        let h = key("hidden_size"), i = key("intermediate_size")
        var linears: [Linear] = []
        var norms = [projectionBeforeNorm && projection != nil ? Norm(name: embeddingNorm, width: hidden, key: h)
                     : Norm(name: embeddingNorm, width: embeddingWidth, key: embeddingWidthKey)]
        func add(_ l: Linear) { if !linears.contains(where: { $0.name == l.name }) { linears.append(l) } }
        func add(_ n: Norm) { if !norms.contains(where: { $0.name == n.name }) { norms.append(n) } }
        if let projection {
            add(Linear(name: projection, out: hidden, in: embeddingWidth, outKey: h, inKey: embeddingWidthKey,
                       bias: projectionBias))
        }
        for b in blocks {
            for n in [b.query, b.key, b.value] + [b.positionKey, b.positionQuery].compactMap({ $0 }) + [b.attentionOutput] {
                add(Linear(name: n, out: hidden, in: hidden, outKey: h, inKey: h))
            }
            add(Norm(name: b.attentionNorm, width: hidden, key: h))
            add(Linear(name: b.intermediate, out: intermediate, in: hidden, outKey: i, inKey: h))
            add(Linear(name: b.output, out: hidden, in: intermediate, outKey: h, inKey: i))
            add(Norm(name: b.outputNorm, width: hidden, key: h))
        }
        add(Linear(name: headDense, out: hidden, in: hidden, outKey: h, inKey: h))
        add(Linear(name: headOutput, out: labels, in: hidden, outKey: key("num_labels"), inKey: h))
        self.linears = linears
        self.norms = norms
    }

    /// Linear layer names in execution order (each once).
    public var linearNames: [String] { linears.map(\.name) }
    /// LayerNorm names in execution order (each once).
    public var normNames: [String] { norms.map(\.name) }
    /// Embedding table names (without `.weight`).
    public var tableNames: [String] { tables.map(\.name) }
}
