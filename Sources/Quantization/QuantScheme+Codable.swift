/// JSON/YAML form of a scheme: snake_case keys, every field written out on encode.
///
///     {"format": "integer", "bits": 8, "signed": false, "symmetric": false, "narrow_range": false,
///      "granularity": {"kind": "per_tensor"}, "qmin": 0, "qmax": 127, "rounding": "nearest_even",
///      "range": {"kind": "dynamic_per_tensor"}, "scale_rule": "fbgemm"}
///
/// On decode only `bits`, `signed` and `symmetric` are required: `qmin`/`qmax` default to the range derived from
/// them, `narrow_range` to false, `granularity` to per_tensor, `range` to static_min_max, `scale_rule` to
/// torch_observer. Parameterless kinds may be written as bare strings (`granularity: per_channel` = axis 0).
/// Activations may be per embedding group: `granularity: {kind: per_embedding_group, groups: 6, permute: true}`
/// (`permute` defaults to false; needs `range: static_min_max`).
/// `{"format": "float16"}` alone is the binary16 scheme, `{"format": "bfloat16"}` the bfloat16 one.
extension QuantScheme: Codable {
    enum CodingKeys: String, CodingKey {
        case format, bits, signed, symmetric
        case narrowRange = "narrow_range"
        case granularity, qmin, qmax, rounding, range
        case scaleRule = "scale_rule"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let format = try c.decodeIfPresent(Format.self, forKey: .format) ?? .integer
        if format == .float16 {
            self = .float16
            return
        }
        if format == .bfloat16 {
            self = .bfloat16
            return
        }
        let bits = try c.decode(Int.self, forKey: .bits)
        let signed = try c.decode(Bool.self, forKey: .signed)
        let symmetric = try c.decode(Bool.self, forKey: .symmetric)
        let narrow = try c.decodeIfPresent(Bool.self, forKey: .narrowRange) ?? false
        let derived = QuantScheme.integerRange(bits: bits, signed: signed, narrowRange: narrow)
        self.init(format: .integer, bits: bits, signed: signed, symmetric: symmetric, narrowRange: narrow,
                  granularity: try c.decodeIfPresent(Granularity.self, forKey: .granularity) ?? .perTensor,
                  qmin: try c.decodeIfPresent(Int32.self, forKey: .qmin) ?? derived.qmin,
                  qmax: try c.decodeIfPresent(Int32.self, forKey: .qmax) ?? derived.qmax,
                  rounding: try c.decodeIfPresent(Rounding.self, forKey: .rounding) ?? .nearestEven,
                  range: try c.decodeIfPresent(RangeSource.self, forKey: .range) ?? .staticMinMax,
                  scaleRule: try c.decodeIfPresent(ScaleRule.self, forKey: .scaleRule) ?? .torchObserver)
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(format, forKey: .format)
        if isFloat { return }
        try c.encode(bits, forKey: .bits)
        try c.encode(signed, forKey: .signed)
        try c.encode(symmetric, forKey: .symmetric)
        try c.encode(narrowRange, forKey: .narrowRange)
        try c.encode(granularity, forKey: .granularity)
        try c.encode(qmin, forKey: .qmin)
        try c.encode(qmax, forKey: .qmax)
        try c.encode(rounding, forKey: .rounding)
        try c.encode(range, forKey: .range)
        try c.encode(scaleRule, forKey: .scaleRule)
    }
}

extension QuantScheme.Format: Codable {}
extension QuantScheme.Rounding: Codable {}
extension QuantScheme.ScaleRule: Codable {}

/// Keys of the `{"kind": …, parameter: …}` objects used for enums with associated values.
private enum KindKeys: String, CodingKey {
    case kind, axis, size, decay, p, groups, permute
}

/// Decodes either a bare string (`"per_tensor"`) or an object's `kind`.
private func decodeKind(_ decoder: Decoder) throws -> (kind: String, container: KeyedDecodingContainer<KindKeys>?) {
    if let single = try? decoder.singleValueContainer(), let kind = try? single.decode(String.self) {
        return (kind, nil)
    }
    let c = try decoder.container(keyedBy: KindKeys.self)
    return (try c.decode(String.self, forKey: .kind), c)
}

extension QuantScheme.Granularity: Codable {
    public init(from decoder: Decoder) throws {
        let (kind, c) = try decodeKind(decoder)
        switch kind {
        case "per_tensor": self = .perTensor
        case "per_channel": self = .perChannel(axis: try c?.decodeIfPresent(Int.self, forKey: .axis) ?? 0)
        case "per_group":
            guard let c else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "per_group needs a size: {kind: per_group, size: 32}"))
            }
            self = .perGroup(size: try c.decode(Int.self, forKey: .size))
        case "per_embedding_group":
            guard let c else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "per_embedding_group needs groups: {kind: per_embedding_group, groups: 6, permute: true}"))
            }
            self = .perEmbeddingGroup(groups: try c.decode(Int.self, forKey: .groups),
                                      permute: try c.decodeIfPresent(Bool.self, forKey: .permute) ?? false)
        default:
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "granularity '\(kind)' is not one of per_tensor, per_channel, per_group, per_embedding_group"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: KindKeys.self)
        switch self {
        case .perTensor: try c.encode("per_tensor", forKey: .kind)
        case let .perChannel(axis):
            try c.encode("per_channel", forKey: .kind)
            try c.encode(axis, forKey: .axis)
        case let .perGroup(size):
            try c.encode("per_group", forKey: .kind)
            try c.encode(size, forKey: .size)
        case let .perEmbeddingGroup(groups, permute):
            try c.encode("per_embedding_group", forKey: .kind)
            try c.encode(groups, forKey: .groups)
            try c.encode(permute, forKey: .permute)
        }
    }
}

extension QuantScheme.RangeSource: Codable {
    public init(from decoder: Decoder) throws {
        let (kind, c) = try decodeKind(decoder)
        func need(_ key: KindKeys) throws -> Double {
            guard let c else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                        debugDescription: "range '\(kind)' needs '\(key.rawValue)'"))
            }
            return try c.decode(Double.self, forKey: key)
        }
        switch kind {
        case "dynamic_per_tensor": self = .dynamicPerTensor
        case "dynamic_per_row": self = .dynamicPerRow
        case "static_min_max": self = .staticMinMax
        case "static_ema": self = .staticEMA(decay: try need(.decay))
        case "static_percentile": self = .staticPercentile(p: try need(.p))
        default:
            throw DecodingError.dataCorrupted(.init(
                codingPath: decoder.codingPath,
                debugDescription: "range '\(kind)' is not one of dynamic_per_tensor, dynamic_per_row, static_min_max, static_ema, static_percentile"))
        }
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: KindKeys.self)
        switch self {
        case .dynamicPerTensor: try c.encode("dynamic_per_tensor", forKey: .kind)
        case .dynamicPerRow: try c.encode("dynamic_per_row", forKey: .kind)
        case .staticMinMax: try c.encode("static_min_max", forKey: .kind)
        case let .staticEMA(decay):
            try c.encode("static_ema", forKey: .kind)
            try c.encode(decay, forKey: .decay)
        case let .staticPercentile(p):
            try c.encode("static_percentile", forKey: .kind)
            try c.encode(p, forKey: .p)
        }
    }
}
