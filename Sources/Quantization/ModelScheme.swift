/// A named quantization of a whole BERT model: which linear layers get which `LayerScheme`.
///
/// Layers are chosen by HF name (`encoder.layer.3.attention.self.query`, `…attention.output.dense`,
/// `…intermediate.dense`, `…output.dense`, `pooler.dense`, `classifier`) with `LayerNamePattern` globs:
/// a name matching any `exclude` pattern stays FP32; when `include` is non-empty, a name must match one of
/// them; the first `overrides` entry whose pattern matches decides; otherwise `defaultScheme` applies
/// (nil = FP32). Embeddings are not linear layers: `quantizeEmbeddings` asks the experiment layer to round-trip
/// the embedding tables through `embeddingScheme` (Q8BERT quantizes word, position and token-type tables).
///
/// `smoothQuant` (when set) migrates activation outliers into the weights before any layer is quantized
/// (`SmoothQuantSpec`; the experiment layer applies it from a calibration pass).
///
/// JSON keys: `name`, `summary`, `default`, `include`, `exclude`, `overrides` (`[{pattern, scheme}]`),
/// `quantize_embeddings`, `smooth_quant` (`{alpha}`, omitted when nil).
public struct ModelScheme: Codable, Hashable, Sendable {
    /// Registry name. Published names are never reused for a different scheme (STYLE.md §4).
    public var name: String
    /// One line saying what the scheme is and what it reproduces.
    public var summary: String
    /// Scheme for every selected layer without an override; nil = FP32.
    public var defaultScheme: LayerScheme?
    /// If non-empty, only layers matching one of these patterns are quantized.
    public var include: [String]
    /// Layers matching any of these patterns stay FP32.
    public var exclude: [String]
    /// First match wins; an override with a nil scheme keeps the layer FP32.
    public var overrides: [LayerOverride]
    /// Whether embedding tables are quantized with `embeddingScheme`.
    public var quantizeEmbeddings: Bool
    /// SmoothQuant migration applied to the FP32 model before the layers are quantized; nil = none.
    public var smoothQuant: SmoothQuantSpec?

    /// A model scheme; by default every linear layer gets `defaultScheme`.
    public init(name: String, summary: String = "", defaultScheme: LayerScheme?, include: [String] = [],
                exclude: [String] = [], overrides: [LayerOverride] = [], quantizeEmbeddings: Bool = false,
                smoothQuant: SmoothQuantSpec? = nil) {
        self.name = name
        self.summary = summary
        self.defaultScheme = defaultScheme
        self.include = include
        self.exclude = exclude
        self.overrides = overrides
        self.quantizeEmbeddings = quantizeEmbeddings
        self.smoothQuant = smoothQuant
    }

    enum CodingKeys: String, CodingKey {
        case name, summary
        case defaultScheme = "default"
        case include, exclude, overrides
        case quantizeEmbeddings = "quantize_embeddings"
        case smoothQuant = "smooth_quant"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        summary = try c.decodeIfPresent(String.self, forKey: .summary) ?? ""
        defaultScheme = try c.decodeIfPresent(LayerScheme.self, forKey: .defaultScheme)
        include = try c.decodeIfPresent([String].self, forKey: .include) ?? []
        exclude = try c.decodeIfPresent([String].self, forKey: .exclude) ?? []
        overrides = try c.decodeIfPresent([LayerOverride].self, forKey: .overrides) ?? []
        quantizeEmbeddings = try c.decodeIfPresent(Bool.self, forKey: .quantizeEmbeddings) ?? false
        smoothQuant = try c.decodeIfPresent(SmoothQuantSpec.self, forKey: .smoothQuant)
    }

    /// The scheme for the linear layer `name`, or nil to keep it FP32 (rules in the type comment).
    public func layerScheme(for name: String) -> LayerScheme? {
        if exclude.contains(where: { LayerNamePattern($0).matches(name) }) { return nil }
        if !include.isEmpty, !include.contains(where: { LayerNamePattern($0).matches(name) }) { return nil }
        if let o = overrides.first(where: { LayerNamePattern($0.pattern).matches(name) }) { return o.scheme }
        return defaultScheme
    }

    /// The scheme for embedding tables `[vocab, hidden]`: the default weight scheme when `quantizeEmbeddings`.
    public var embeddingScheme: QuantScheme? {
        quantizeEmbeddings ? defaultScheme?.weight : nil
    }

    /// Every layer scheme the model scheme can hand out (default first, then overrides), without repeats.
    public var layerSchemes: [LayerScheme] {
        var out = [LayerScheme]()
        for s in [defaultScheme] + overrides.map(\.scheme) {
            if let s, !out.contains(s) { out.append(s) }
        }
        return out
    }

    /// True when the scheme needs a calibration pass: some layer has static activation ranges, or SmoothQuant
    /// needs its per-channel activation maxima.
    public var requiresCalibration: Bool { smoothQuant != nil || layerSchemes.contains { $0.requiresCalibration } }

    /// Validates every layer scheme and pattern; errors name the path (`default.weight.bits`, `overrides[1].pattern`).
    public func validate() throws {
        guard !name.isEmpty else { throw QuantizationError.invalidScheme(field: "name", reason: "must not be empty") }
        try smoothQuant?.validate()
        if smoothQuant != nil, !layerSchemes.contains(where: { $0.activation != nil }) {
            throw QuantizationError.invalidScheme(field: "smooth_quant", reason: "SmoothQuant eases activation quantization; "
                                                  + "the scheme quantizes no activations (add an activation scheme)")
        }
        if let d = defaultScheme {
            do { try d.validate() } catch let e as QuantizationError { throw e.prefixed("default") }
        }
        for (i, p) in include.enumerated() where p.isEmpty {
            throw QuantizationError.invalidScheme(field: "include[\(i)]", reason: "empty pattern")
        }
        for (i, p) in exclude.enumerated() where p.isEmpty {
            throw QuantizationError.invalidScheme(field: "exclude[\(i)]", reason: "empty pattern")
        }
        for (i, o) in overrides.enumerated() {
            guard !o.pattern.isEmpty else {
                throw QuantizationError.invalidScheme(field: "overrides[\(i)].pattern", reason: "empty pattern")
            }
            if let s = o.scheme {
                do { try s.validate() } catch let e as QuantizationError { throw e.prefixed("overrides[\(i)].scheme") }
            }
        }
        if quantizeEmbeddings, defaultScheme == nil {
            throw QuantizationError.invalidScheme(field: "quantize_embeddings", reason: "embeddings use the default weight scheme; set default")
        }
    }
}

/// One per-layer override: layers whose name matches `pattern` use `scheme` (nil = FP32).
public struct LayerOverride: Codable, Hashable, Sendable {
    /// `LayerNamePattern` glob.
    public var pattern: String
    /// Scheme for matching layers; nil keeps them FP32.
    public var scheme: LayerScheme?

    /// An override for layers matching `pattern`.
    public init(pattern: String, scheme: LayerScheme?) {
        self.pattern = pattern
        self.scheme = scheme
    }
}
