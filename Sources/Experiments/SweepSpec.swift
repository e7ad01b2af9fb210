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
///
/// Generated names are `<name>.<level>.<level>…` with one token per listed axis, in the fixed axis order
/// above (not the file's order) and the levels in the file's order, e.g.
/// `ablation.act-symmetric.act-8bit.w-per-channel.requant-on`. They are stable: the same file always yields the
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

    public init(activationSymmetry: [ActivationSymmetry]? = nil, activationBits: [Int]? = nil,
                weightGranularity: [WeightGranularity]? = nil, requantizeOutput: [Bool]? = nil) {
        self.activationSymmetry = activationSymmetry
        self.activationBits = activationBits
        self.weightGranularity = weightGranularity
        self.requantizeOutput = requantizeOutput
    }

    enum CodingKeys: String, CodingKey {
        case activationSymmetry = "activation_symmetry", activationBits = "activation_bits"
        case weightGranularity = "weight_granularity", requantizeOutput = "requantize_output"
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
}

/// One generated scheme and the factor levels that made it.
public struct SweepVariant: Codable, Equatable, Sendable {
    /// The generated scheme (its `name` is the variant name).
    public var scheme: ModelScheme
    /// Level of each listed factor, as the token used in the name (`act-symmetric`, `act-7bit`, `w-per-tensor`,
    /// `requant-on`), keyed by `SweepFactor.rawValue`.
    public var levels: [String: String]
}

extension SweepSpec {
    /// Every combination of the listed levels applied to `base`, in nested-loop order (first factor outermost).
    /// - Throws: `ExperimentError.invalid` when the base has no activation scheme to vary or a level is invalid.
    public func expand(base: ModelScheme) throws -> [SweepVariant] {
        var combos: [[(SweepFactor, String)]] = [[]]
        func axis(_ f: SweepFactor, _ tokens: [String]?) {
            guard let tokens else { return }
            combos = combos.flatMap { c in tokens.map { c + [(f, $0)] } }
        }
        axis(.activationSymmetry, axes.activationSymmetry?.map { "act-\($0.rawValue)" })
        axis(.activationBits, axes.activationBits?.map { "act-\($0)bit" })
        axis(.weightGranularity, axes.weightGranularity?.map { "w-\($0.rawValue.replacingOccurrences(of: "_", with: "-"))" })
        axis(.requantizeOutput, axes.requantizeOutput?.map { $0 ? "requant-on" : "requant-off" })
        guard combos.first?.isEmpty == false else {
            throw ExperimentError.invalid("sweep.axes lists no factor; give at least one of "
                                          + SweepFactor.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return try combos.map { combo in
            var levels: [String: String] = [:]
            for (f, t) in combo { levels[f.rawValue] = t }
            let name = ([self.name] + combo.map(\.1)).joined(separator: ".")
            var scheme = base
            scheme.name = name
            scheme.summary = "\(base.name) with " + combo.map(\.1).joined(separator: ", ")
            scheme.defaultScheme = try scheme.defaultScheme.map { try apply(combo, to: $0, base: base.name) }
            scheme.overrides = try scheme.overrides.map { o in
                LayerOverride(pattern: o.pattern, scheme: try o.scheme.map { try apply(combo, to: $0, base: base.name) })
            }
            try scheme.validate()
            return SweepVariant(scheme: scheme, levels: levels)
        }
    }

    /// `layer` with the combination's levels applied; unlisted factors keep the base's setting.
    private func apply(_ combo: [(SweepFactor, String)], to layer: LayerScheme, base: String) throws -> LayerScheme {
        guard let act = layer.activation else {
            throw ExperimentError.invalid("sweep.base \(base) has a weight-only layer scheme; the sweep varies "
                                          + "activation quantization, so the base must quantize activations")
        }
        var out = layer
        let symmetric = axes.activationSymmetry.map { _ in
            combo.first { $0.0 == .activationSymmetry }!.1 == "act-symmetric"
        } ?? act.symmetric
        let bits = axes.activationBits.map { _ in
            Int(combo.first { $0.0 == .activationBits }!.1.dropFirst(4).dropLast(3))!
        } ?? SweepSpec.effectiveBits(act)
        out.activation = try SweepSpec.activation(symmetric: symmetric, bits: bits, range: act.range)
        if let level = combo.first(where: { $0.0 == .weightGranularity })?.1 {
            out.weight = out.weight.withGranularity(level == "w-per-channel" ? .perChannel(axis: 0) : .perTensor)
        }
        if let level = combo.first(where: { $0.0 == .requantizeOutput })?.1 {
            out.options.requantizeOutput = level == "requant-on"
        }
        return out
    }

    /// The activation scheme for one (symmetry, bits) cell, stored in 8-bit codes as PyTorch and Q8BERT do:
    /// symmetric = Q8BERT (signed, ±(2^(b−1)−1), `max_abs`), affine = PyTorch (unsigned, 0…2^b−1, fbgemm).
    /// `(affine, 7)` is exactly `QuantScheme.pytorchDynamicActivation` and `(symmetric, 8)` exactly
    /// `QuantScheme.q8bertDynamicActivation` (for dynamic ranges).
    public static func activation(symmetric: Bool, bits: Int, range: QuantScheme.RangeSource) throws -> QuantScheme {
        guard (2...8).contains(bits) else {
            throw ExperimentError.invalid("sweep.axes.activation_bits: \(bits) is outside 2…8")
        }
        if symmetric {
            let m = Int32((1 << (bits - 1)) - 1)
            return QuantScheme.integer(bits: 8, signed: true, symmetric: true, narrowRange: true, range: range,
                                       scaleRule: .maxAbs).withRange(qmin: -m, qmax: m)
        }
        return QuantScheme.integer(bits: 8, signed: false, symmetric: false, range: range, scaleRule: .fbgemm)
            .withRange(qmin: 0, qmax: Int32((1 << bits) - 1))
    }

    /// Bits of information in a scheme's code range: ⌈log2(qmax − qmin + 1)⌉ (PyTorch's 0…127 → 7).
    public static func effectiveBits(_ s: QuantScheme) -> Int {
        let levels = Int(s.qmax) - Int(s.qmin) + 1
        var b = 0
        while (1 << b) < levels { b += 1 }
        return b
    }
}
