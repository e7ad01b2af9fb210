import Quantization
import RunRecords
import TensorCore

/// The strict shape of an experiment file (every key at every level, including inline schemes), checked by
/// `ConfigShape.check` before decoding. Keep in step with the `CodingKeys` of `ExperimentConfig`, `SweepSpec`,
/// `ModelScheme`, `LayerScheme` and `QuantScheme+Codable`.
extension ExperimentConfig {
    static var shape: ConfigShape {
        let path = ConfigShape.string
        let positive = ConfigShape.integer(1...Int.max)
        let nonNegative = ConfigShape.integer(0...Int.max)
        return .mapping(name: "an experiment", fields: [
            ("name", .string, true),
            ("description", .string, false),
            ("model", path, true),
            ("data", .mapping(name: "data", fields: [
                ("path", path, true), ("split", .string, false), ("limit", nonNegative, false),
            ]), true),
            ("batching", .mapping(name: "batching", fields: [
                ("batch_size", positive, false), ("max_seq_length", .integer(3...Int.max), false),
                ("pad_to_max", .boolean, false),
            ]), false),
            ("schemes", .list(schemeEntry, nonEmpty: false), false),
            ("sweep", .mapping(name: "sweep", fields: [
                ("name", .string, false),
                ("base", schemeEntry, true),
                ("axes", .mapping(name: "sweep.axes", fields: [
                    ("activation_symmetry", .distinctList(.choice(SweepAxes.ActivationSymmetry.allCases.map(\.rawValue))), false),
                    ("activation_bits", .distinctList(.integer(2...8)), false),
                    ("weight_granularity", .distinctList(.choice(SweepAxes.WeightGranularity.allCases.map(\.rawValue))), false),
                    ("requantize_output", .distinctList(.boolean), false),
                    ("smooth_quant_alpha", .distinctList(.string), false),
                    ("activation_granularity", .distinctList(.matching(
                        expected: SweepAxes.ActivationGranularity.expected,
                        accepts: { SweepAxes.ActivationGranularity(level: $0) != nil })), false),
                ]), true),
            ]), false),
            ("qat", .list(.mapping(name: "a qat entry", fields: [
                ("scheme", schemeEntry, true), ("epochs", positive, false), ("lr", .number, false),
                ("batch_size", positive, false), ("seed", nonNegative, false), ("train_examples", nonNegative, false),
                ("data", path, false), ("split", .string, false),
            ]), nonEmpty: false), false),
            ("threads", .list(positive, nonEmpty: true), false),
            ("numerics", .choice(NumericsMode.allCases.map(\.rawValue)), false),
            ("repeats", positive, false),
            ("seed", nonNegative, false),
            ("calibration", .mapping(name: "calibration", fields: [
                ("data", path, false), ("split", .string, false), ("examples", positive, false),
            ]), false),
            ("statistics", .mapping(name: "statistics", fields: [
                ("sensitivity", .boolean, false), ("examples", nonNegative, false),
            ]), false),
            ("output", path, false),
            ("published", .list(.choice(PublishedResults.Group.allCases.map(\.rawValue)), nonEmpty: false), false),
            ("notes", .list(.string, nonEmpty: false), false),
            ("citation", .mapping(name: "citation", fields: [
                ("authors", .list(.string, nonEmpty: true), false), ("title", .string, false), ("url", .string, false),
            ]), false),
        ])
    }

    /// A registered scheme name or an inline `ModelScheme`.
    static var schemeEntry: ConfigShape {
        .oneOf([.string, modelScheme], expected: "a registered scheme name (\(SchemeRegistry.names.joined(separator: ", "))) "
               + "or an inline scheme mapping (keys as printed by `qbench schemes NAME`)")
    }

    /// `ModelScheme`'s JSON keys.
    static var modelScheme: ConfigShape {
        .mapping(name: "a scheme", fields: [
            ("name", .string, true), ("summary", .string, false),
            ("default", .nullable(layerScheme), false),
            ("include", .list(.string, nonEmpty: false), false),
            ("exclude", .list(.string, nonEmpty: false), false),
            ("overrides", .list(.mapping(name: "an override", fields: [
                ("pattern", .string, true), ("scheme", .nullable(layerScheme), false),
            ]), nonEmpty: false), false),
            ("quantize_embeddings", .boolean, false),
            ("smooth_quant", .nullable(.mapping(name: "smooth_quant", fields: [("alpha", .number, false)])), false),
        ])
    }

    /// `LayerScheme`'s JSON keys.
    static var layerScheme: ConfigShape {
        .mapping(name: "a layer scheme", fields: [
            ("weight", quantScheme, true),
            ("activation", .nullable(quantScheme), false),
            ("output", .nullable(quantScheme), false),
            ("options", .mapping(name: "options", fields: [
                ("bias", .choice(["fp32", "int32"]), false), ("requantize_output", .boolean, false),
            ]), false),
        ])
    }

    /// `QuantScheme`'s JSON keys (`bits`, `signed`, `symmetric` are required for integer formats; the decoder
    /// reports them).
    static var quantScheme: ConfigShape {
        let granularityKinds = ["per_tensor", "per_channel", "per_group", "per_embedding_group"]
        let rangeKinds = ["dynamic_per_tensor", "dynamic_per_row", "static_min_max", "static_ema", "static_percentile"]
        return .mapping(name: "a tensor scheme", fields: [
            ("format", .choice(QuantScheme.Format.allCases.map(\.rawValue)), false),
            ("bits", .integer(nil), false), ("signed", .boolean, false), ("symmetric", .boolean, false),
            ("narrow_range", .boolean, false),
            ("granularity", .oneOf([.choice(granularityKinds), .mapping(name: "a granularity", fields: [
                ("kind", .choice(granularityKinds), true), ("axis", .integer(nil), false), ("size", .integer(nil), false),
                ("groups", .integer(nil), false), ("permute", .boolean, false),
            ])], expected: "one of \(granularityKinds.joined(separator: ", ")) or {kind, axis | size | groups, permute}"), false),
            ("qmin", .integer(nil), false), ("qmax", .integer(nil), false),
            ("rounding", .choice(QuantScheme.Rounding.allCases.map(\.rawValue)), false),
            ("range", .oneOf([.choice(rangeKinds), .mapping(name: "a range", fields: [
                ("kind", .choice(rangeKinds), true), ("decay", .number, false), ("p", .number, false),
            ])], expected: "one of \(rangeKinds.joined(separator: ", ")) or {kind, decay | p}"), false),
            ("scale_rule", .choice(QuantScheme.ScaleRule.allCases.map(\.rawValue)), false),
        ])
    }
}
