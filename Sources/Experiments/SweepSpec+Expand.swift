import Quantization
import RunRecords

extension SweepSpec {
    /// Every combination of the listed levels applied to `base`, in nested-loop order (first factor outermost).
    /// - Throws: `ExperimentError.invalid` when the base has no activation scheme to vary or a level is invalid.
    public func expand(base: ModelScheme) throws -> [SweepVariant] {
        try checkCells()
        var combos: [[(SweepFactor, String)]] = [[]]
        func axis(_ f: SweepFactor, _ tokens: [String]?) {
            guard let tokens else { return }
            combos = combos.flatMap { c in tokens.map { c + [(f, $0)] } }
        }
        axis(.activationSymmetry, axes.activationSymmetry?.map { "act-\($0.rawValue)" })
        axis(.activationBits, axes.activationBits?.map { "act-\($0)bit" })
        axis(.weightGranularity, axes.weightGranularity?.map { "w-\($0.rawValue.replacingOccurrences(of: "_", with: "-"))" })
        axis(.requantizeOutput, axes.requantizeOutput?.map { $0 ? "requant-on" : "requant-off" })
        axis(.smoothQuantAlpha, axes.smoothQuantAlpha?.map(\.token))
        axis(.activationGranularity, axes.activationGranularity?.map(SweepSpec.token))
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
            if let token = combo.first(where: { $0.0 == .smoothQuantAlpha })?.1,
               let level = axes.smoothQuantAlpha?.first(where: { $0.token == token }) {
                switch level {
                case .off: scheme.smoothQuant = nil
                case let .alpha(a): scheme.smoothQuant = SmoothQuantSpec(alpha: a)
                }
            }
            try scheme.validate()
            return SweepVariant(scheme: scheme, levels: levels)
        }
    }

    /// Refuses an axis that repeats a level and more than `Limits.maxSweepCells` cells, counting the product of
    /// the axes' level counts before anything is expanded.
    /// - Throws: `ExperimentError.config` naming `sweep.axes.<axis>` (file and line are added by the caller).
    public func checkCells() throws {
        let counts: [(String, [String]?)] = [
            ("activation_symmetry", axes.activationSymmetry?.map(\.rawValue)),
            ("activation_bits", axes.activationBits?.map { "\($0)" }),
            ("weight_granularity", axes.weightGranularity?.map(\.rawValue)),
            ("requantize_output", axes.requantizeOutput?.map { "\($0)" }),
            ("smooth_quant_alpha", axes.smoothQuantAlpha?.map(\.token)),
            ("activation_granularity", axes.activationGranularity?.map(\.description)),
        ]
        for (i, level) in (axes.smoothQuantAlpha ?? []).enumerated() {
            if case let .alpha(a) = level, !(a.isFinite && (0...1).contains(a)) {
                throw ExperimentError.config(file: "", keyPath: "sweep.axes.smooth_quant_alpha[\(i)]", line: nil,
                                             message: "expected off or a number α in [0, 1], found \(a)")
            }
        }
        var cells = 1
        for (key, levels) in counts {
            guard let levels else { continue }
            var seen: Set<String> = []
            for (i, l) in levels.enumerated() where !seen.insert(l).inserted {
                throw ExperimentError.config(file: "", keyPath: "sweep.axes.\(key)[\(i)]", line: nil,
                                             message: "level '\(l)' is listed twice; expected each level once")
            }
            let (product, overflow) = cells.multipliedReportingOverflow(by: levels.count)
            guard !overflow, product <= Limits.maxSweepCells else {
                throw ExperimentError.config(file: "", keyPath: "sweep.axes.\(key)", line: nil,
                                             message: "the sweep would have more than \(Limits.maxSweepCells) cells")
            }
            cells = product
        }
    }

    /// `layer` with the combination's levels applied; unlisted factors keep the base's setting.
    private func apply(_ combo: [(SweepFactor, String)], to layer: LayerScheme, base: String) throws -> LayerScheme {
        guard let act = layer.activation else {
            throw ExperimentError.invalid("sweep.base \(base) has a weight-only layer scheme; the sweep varies "
                                          + "activation quantization, so the base must quantize activations")
        }
        var out = layer
        if axes.activationSymmetry != nil || axes.activationBits != nil || axes.activationGranularity != nil {
            var activation = act
            if axes.activationSymmetry != nil || axes.activationBits != nil {
                let symmetric = axes.activationSymmetry.map { _ in
                    combo.first { $0.0 == .activationSymmetry }!.1 == "act-symmetric"
                } ?? act.symmetric
                let bits = axes.activationBits.map { _ in
                    Int(combo.first { $0.0 == .activationBits }!.1.dropFirst(4).dropLast(3))!
                } ?? SweepSpec.effectiveBits(act)
                activation = try SweepSpec.activation(symmetric: symmetric, bits: bits, range: act.range)
                activation.granularity = act.granularity
            }
            if let token = combo.first(where: { $0.0 == .activationGranularity })?.1,
               let level = axes.activationGranularity?.first(where: { SweepSpec.token($0) == token }) {
                activation = SweepSpec.applying(level, to: activation)
            }
            out.activation = activation
        }
        if let level = combo.first(where: { $0.0 == .weightGranularity })?.1 {
            out.weight = out.weight.withGranularity(level == "w-per-channel" ? .perChannel(axis: 0) : .perTensor)
        }
        if let level = combo.first(where: { $0.0 == .requantizeOutput })?.1 {
            out.options.requantizeOutput = level == "requant-on"
        }
        return out
    }

    /// The name token of an activation-granularity level: `act-per-tensor`, `act-per-token`, `act-peg6`,
    /// `act-peg6-permuted`.
    static func token(_ level: SweepAxes.ActivationGranularity) -> String {
        "act-" + level.description.replacingOccurrences(of: "_", with: "-")
    }

    /// `a` with the granularity (and the range source it implies) of `level`: per-tensor keeps a static range and
    /// makes a dynamic one per tensor; per-token is dynamic per row; PEG is calibrated min/max per group.
    static func applying(_ level: SweepAxes.ActivationGranularity, to a: QuantScheme) -> QuantScheme {
        var out = a
        switch level {
        case .perTensor:
            out.granularity = .perTensor
            if a.range.isDynamic { out.range = .dynamicPerTensor }
        case .perToken:
            out.granularity = .perTensor
            out.range = .dynamicPerRow
        case let .embeddingGroups(k, permute):
            out.granularity = .perEmbeddingGroup(groups: k, permute: permute)
            out.range = .staticMinMax
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
