import Foundation
import Quantization

/// A factorial sweep: every combination of the listed axis levels, applied to a base scheme.
///
///     sweep:
///       name: ablation                 # prefix of generated scheme names
///       base: q8bert-dynamic           # registered name or inline scheme
///       axes:
///         activation_symmetry: [symmetric, affine]
///         activation_bits: [7, 8]
///         weight_granularity: [per_tensor, per_channel]
///         requantize_output: [true, false]
///         smooth_quant_alpha: [off, 0.5, 0.8]
///         activation_granularity: [per_tensor, per_token, peg6, peg6_permuted]
///
/// Generated names are `<name>.<level>.<level>…` with one token per listed axis, in the fixed axis order
/// above (not the file's order) and the levels in the file's order, e.g.
/// `ablation.act-symmetric.act-8bit.w-per-channel.requant-on.sq-a0.5`. They are stable: the same file always yields the
/// same names in the same order. Axes not listed keep the base scheme's setting.
public struct SweepSpec: Codable, Equatable, Sendable {
    /// Prefix of generated names.
    public var name: String = "ablation"
    /// The scheme every variant starts from (must quantize activations).
    public var base: SchemeEntry
    /// The factors and their levels.
    public var axes: SweepAxes

    public init(name: String = "ablation", base: SchemeEntry, axes: SweepAxes) {
        self.name = name
        self.base = base
        self.axes = axes
    }

    enum CodingKeys: String, CodingKey { case name, base, axes }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "ablation"
        base = try c.decode(SchemeEntry.self, forKey: .base)
        axes = try c.decode(SweepAxes.self, forKey: .axes)
    }
}

/// The sweep's factors. Each is applied to every layer scheme of the base (default and overrides).
public struct SweepAxes: Codable, Equatable, Sendable {
    /// `symmetric`: signed codes ±(2^(b−1)−1), zero point 0, `max_abs` scale (Q8BERT);
    /// `affine`: unsigned codes 0…2^b−1, fbgemm scale and zero point (PyTorch).
    public var activationSymmetry: [ActivationSymmetry]?
    /// Activation code width in bits (7 = PyTorch's `reduce_range`, codes stored in 8-bit integers either way).
    public var activationBits: [Int]?
    /// One weight scale per tensor or per output row.
    public var weightGranularity: [WeightGranularity]?
    /// Re-quantize each FC output with the activation scheme (Q8BERT) or not (PyTorch).
    public var requantizeOutput: [Bool]?
    /// SmoothQuant before quantizing (`SmoothQuantSpec`): `off`, or on with strength α in [0, 1]; replaces the
    /// base's own setting.
    public var smoothQuantAlpha: [SmoothQuantLevel]?
    /// Which activations share a scale: the whole input, each token, or each embedding group.
    public var activationGranularity: [ActivationGranularity]?

    public init(activationSymmetry: [ActivationSymmetry]? = nil, activationBits: [Int]? = nil,
                weightGranularity: [WeightGranularity]? = nil, requantizeOutput: [Bool]? = nil,
                smoothQuantAlpha: [SmoothQuantLevel]? = nil, activationGranularity: [ActivationGranularity]? = nil) {
        self.activationSymmetry = activationSymmetry
        self.activationBits = activationBits
        self.weightGranularity = weightGranularity
        self.requantizeOutput = requantizeOutput
        self.smoothQuantAlpha = smoothQuantAlpha
        self.activationGranularity = activationGranularity
    }

    enum CodingKeys: String, CodingKey {
        case activationSymmetry = "activation_symmetry", activationBits = "activation_bits"
        case weightGranularity = "weight_granularity", requantizeOutput = "requantize_output"
        case smoothQuantAlpha = "smooth_quant_alpha"
        case activationGranularity = "activation_granularity"
    }

    /// A level of `smooth_quant_alpha`: written `off` or as the number α.
    public enum SmoothQuantLevel: Codable, Equatable, Sendable {
        case off
        case alpha(Double)

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let a = try? c.decode(Double.self) { self = .alpha(a); return }
            if let s = try? c.decode(String.self), s == "off" { self = .off; return }
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath,
                                                    debugDescription: "expected off or a number α in [0, 1]"))
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            switch self {
            case .off: try c.encode("off")
            case let .alpha(a): try c.encode(a)
            }
        }

        /// The name token: `sq-off`, `sq-a0.5`.
        public var token: String {
            switch self {
            case .off: return "sq-off"
            case let .alpha(a): return "sq-a\(a)"
            }
        }
    }

    /// A level of the activation-granularity factor, written `per_tensor`, `per_token`, `peg<K>` or
    /// `peg<K>_permuted` (K ≥ 1 groups). `per_tensor` keeps the base's range source (a per-row dynamic range
    /// becomes per-tensor dynamic); `per_token` is one dynamic range per row (torchao's per-token); `peg<K>` is
    /// per-embedding-group with calibrated min/max per group, as Bondarenko et al. (static ranges, so those cells
    /// need a calibration pass), `_permuted` with the range-based permutation.
    public enum ActivationGranularity: Codable, Hashable, Sendable, CustomStringConvertible {
        case perTensor
        case perToken
        case embeddingGroups(Int, permute: Bool)

        /// Parses a level; nil for anything else.
        public init?(level s: String) {
            switch s {
            case "per_tensor": self = .perTensor
            case "per_token": self = .perToken
            default:
                guard s.hasPrefix("peg") else { return nil }
                var digits = s.dropFirst(3)
                let permute = digits.hasSuffix("_permuted")
                if permute { digits = digits.dropLast("_permuted".count) }
                guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
                      let k = Int(digits), k >= 1, String(k) == digits else { return nil }
                self = .embeddingGroups(k, permute: permute)
            }
        }

        /// The level as written in experiment files.
        public var description: String {
            switch self {
            case .perTensor: return "per_tensor"
            case .perToken: return "per_token"
            case let .embeddingGroups(k, permute): return "peg\(k)" + (permute ? "_permuted" : "")
            }
        }

        /// What the levels look like, for error messages.
        public static let expected = "per_tensor, per_token, peg<K> or peg<K>_permuted (K ≥ 1 groups, e.g. peg6)"

        public init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            let s = try c.decode(String.self)
            guard let v = ActivationGranularity(level: s) else {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: "'\(s)' is not one of \(ActivationGranularity.expected)")
            }
            self = v
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(description)
        }
    }

    public enum ActivationSymmetry: String, Codable, CaseIterable, Sendable {
        case symmetric, affine
    }

    public enum WeightGranularity: String, Codable, CaseIterable, Sendable {
        case perTensor = "per_tensor", perChannel = "per_channel"
    }
}

/// The factors a sweep can vary, in the fixed order used for names and tables.
public enum SweepFactor: String, Codable, CaseIterable, Sendable {
    case activationSymmetry = "activation_symmetry"
    case activationBits = "activation_bits"
    case weightGranularity = "weight_granularity"
    case requantizeOutput = "requantize_output"
    case smoothQuantAlpha = "smooth_quant_alpha"
    case activationGranularity = "activation_granularity"
}

/// One generated scheme and the factor levels that made it.
public struct SweepVariant: Codable, Equatable, Sendable {
    /// The generated scheme (its `name` is the variant name).
    public var scheme: ModelScheme
    /// Level of each listed factor, as the token used in the name (`act-symmetric`, `act-7bit`, `w-per-tensor`,
    /// `requant-on`, `sq-a0.5`, `act-per-token`, `act-peg6-permuted`), keyed by `SweepFactor.rawValue`.
    public var levels: [String: String]

    public init(scheme: ModelScheme, levels: [String: String]) {
        self.scheme = scheme
        self.levels = levels
    }

    /// The base cell of a sweep: the variant whose layer schemes and SmoothQuant setting equal `sweep.base`'s (the one the factorial
    /// ablation's one-factor table steps away from); nil without a sweep, when the base does not resolve, or when
    /// no variant equals it (an axis that omits the base's own level).
    public static func baseCell(of sweep: SweepSpec?, in variants: [SweepVariant]) -> SweepVariant? {
        guard let base = try? sweep?.base.resolve() else { return nil }
        return variants.first {
            $0.scheme.defaultScheme == base.defaultScheme && $0.scheme.overrides == base.overrides
                && $0.scheme.smoothQuant == base.smoothQuant
        }
    }
}

