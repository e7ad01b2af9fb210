import _TestSupport
import Experiments
import Foundation
import Quantization
import RunRecords
import XCTest

/// Factorial sweep expansion: names, order, count and the numerics of each generated cell.
final class SweepExpansionTests: XCTestCase {
    let axes = SweepAxes(activationSymmetry: [.symmetric, .affine], activationBits: [8, 7],
                         weightGranularity: [.perTensor, .perChannel], requantizeOutput: [true, false])

    func testFullFactorialNamesAndOrder() throws {
        let variants = try SweepSpec(base: .named("q8bert-dynamic"), axes: axes).expand(base: .q8bertDynamic)
        XCTAssertEqual(variants.count, 16)
        XCTAssertEqual(Set(variants.map(\.scheme.name)).count, 16, "names are unique")
        XCTAssertEqual(variants.first?.scheme.name, "ablation.act-symmetric.act-8bit.w-per-tensor.requant-on")
        XCTAssertEqual(variants[1].scheme.name, "ablation.act-symmetric.act-8bit.w-per-tensor.requant-off")
        XCTAssertEqual(variants[2].scheme.name, "ablation.act-symmetric.act-8bit.w-per-channel.requant-on")
        XCTAssertEqual(variants.last?.scheme.name, "ablation.act-affine.act-7bit.w-per-channel.requant-off")
        XCTAssertEqual(variants[5].levels, ["activation_symmetry": "act-symmetric", "activation_bits": "act-7bit",
                                            "weight_granularity": "w-per-tensor", "requantize_output": "requant-off"])
        // Stable: the same spec gives the same names again.
        let again = try SweepSpec(base: .named("q8bert-dynamic"), axes: axes).expand(base: .q8bertDynamic)
        XCTAssertEqual(again.map(\.scheme.name), variants.map(\.scheme.name))
    }

    /// Axes are named in a fixed order whatever order the file lists them in; unlisted axes are left out.
    func testPartialAxesAndPrefix() throws {
        let spec = SweepSpec(name: "abl", base: .named("pytorch-dynamic"),
                             axes: SweepAxes(weightGranularity: [.perChannel], requantizeOutput: [false, true]))
        let v = try spec.expand(base: .pytorchDynamic)
        XCTAssertEqual(v.map(\.scheme.name), ["abl.w-per-channel.requant-off", "abl.w-per-channel.requant-on"])
        XCTAssertEqual(v[0].scheme.defaultScheme?.activation, QuantScheme.pytorchDynamicActivation,
                       "unlisted factors keep the base's activation")
    }

    /// SmoothQuant's α as a factor: `off` removes the base's migration, a number sets it; layer schemes untouched
    /// (a 16-bit mixed-precision base keeps its 16-bit layers).
    func testSmoothQuantAlphaAxis() throws {
        let spec = SweepSpec(name: "sq", base: .named("q8bert-static-mp16"),
                             axes: SweepAxes(smoothQuantAlpha: [.off, .alpha(0.5), .alpha(0.8)]))
        let v = try spec.expand(base: .q8bertStaticMP16)
        XCTAssertEqual(v.map(\.scheme.name), ["sq.sq-off", "sq.sq-a0.5", "sq.sq-a0.8"])
        XCTAssertEqual(v.map(\.scheme.smoothQuant), [nil, SmoothQuantSpec(alpha: 0.5), SmoothQuantSpec(alpha: 0.8)])
        XCTAssertEqual(v[1].levels, ["smooth_quant_alpha": "sq-a0.5"])
        for variant in v {
            XCTAssertEqual(variant.scheme.defaultScheme, ModelScheme.q8bertStaticMP16.defaultScheme)
            XCTAssertEqual(variant.scheme.overrides, ModelScheme.q8bertStaticMP16.overrides)
        }
        let off = try SweepSpec(base: .named("smoothquant-q8bert-dynamic"), axes: SweepAxes(smoothQuantAlpha: [.off]))
            .expand(base: .smoothQuantQ8BERTDynamic)
        XCTAssertNil(off[0].scheme.smoothQuant)
        XCTAssertThrowsError(try SweepSpec(base: .named("q8bert-dynamic"), axes: SweepAxes(smoothQuantAlpha: [.alpha(1.5)]))
            .expand(base: .q8bertDynamic)) { XCTAssertTrue("\($0)".contains("smooth_quant_alpha[0]"), "\($0)") }
        XCTAssertThrowsError(try SweepSpec(base: .named("q8bert-dynamic"), axes: SweepAxes(smoothQuantAlpha: [.alpha(0.5), .alpha(0.5)]))
            .expand(base: .q8bertDynamic)) { XCTAssertTrue("\($0)".contains("twice"), "\($0)") }
    }

    /// The corners reproduce the presets they stand for.
    func testCellsMatchPresets() throws {
        let v = try SweepSpec(base: .named("q8bert-dynamic"), axes: axes).expand(base: .q8bertDynamic)
        func cell(_ name: String) -> LayerScheme { v.first { $0.scheme.name == "ablation." + name }!.scheme.defaultScheme! }
        let q8 = cell("act-symmetric.act-8bit.w-per-tensor.requant-on")
        XCTAssertEqual(q8, ModelScheme.q8bertDynamic.defaultScheme, "the Q8BERT corner is q8bert-dynamic itself")
        let torchLike = cell("act-affine.act-7bit.w-per-tensor.requant-off")
        XCTAssertEqual(torchLike.activation, QuantScheme.pytorchDynamicActivation)
        XCTAssertFalse(torchLike.options.requantizeOutput)
        XCTAssertEqual(torchLike.options.bias, .int32, "bias stays as in the base")
        let affine8 = cell("act-affine.act-8bit.w-per-channel.requant-off")
        XCTAssertEqual(affine8.activation, QuantScheme.pytorchDynamicActivation8Bit)
        XCTAssertEqual(affine8.weight.granularity, .perChannel(axis: 0))
        let sym7 = cell("act-symmetric.act-7bit.w-per-tensor.requant-on").activation!
        XCTAssertEqual([sym7.qmin, sym7.qmax], [-63, 63])
        XCTAssertEqual(sym7.scaleRule, .maxAbs)
        XCTAssertTrue(v.allSatisfy { $0.scheme.quantizeEmbeddings }, "embeddings stay quantized as in the base")
    }

    /// The activation-granularity factor: per tensor keeps the base (dynamic per tensor), per token is dynamic per
    /// row, PEG levels are calibrated min/max per group; everything else stays the base's.
    func testActivationGranularityLevels() throws {
        let levels = ["per_tensor", "per_token", "peg3", "peg6_permuted"].map { SweepAxes.ActivationGranularity(level: $0)! }
        let v = try SweepSpec(name: "g", base: .named("pytorch-dynamic"), axes: SweepAxes(activationGranularity: levels))
            .expand(base: .pytorchDynamic)
        XCTAssertEqual(v.map(\.scheme.name), ["g.act-per-tensor", "g.act-per-token", "g.act-peg3", "g.act-peg6-permuted"])
        let acts = v.map { $0.scheme.defaultScheme!.activation! }
        XCTAssertEqual(acts[0], QuantScheme.pytorchDynamicActivation)
        XCTAssertEqual(acts[1], QuantScheme.pytorchDynamicActivation.withRange(.dynamicPerRow))
        XCTAssertEqual(acts[2], QuantScheme.pytorchDynamicActivation.withRange(.staticMinMax)
            .withGranularity(.perEmbeddingGroup(groups: 3, permute: false)))
        XCTAssertEqual(acts[3].granularity, .perEmbeddingGroup(groups: 6, permute: true))
        XCTAssertEqual(v[2].levels, ["activation_granularity": "act-peg3"])
        XCTAssertTrue(v.allSatisfy { $0.scheme.defaultScheme!.weight == .pytorchWeight })
        XCTAssertEqual(v.map { $0.scheme.defaultScheme!.requiresCalibration }, [false, false, true, true])
        for bad in ["peg", "peg0", "peg06", "peg6_permute", "per_row", "PEG6", "peg-6"] {
            XCTAssertNil(SweepAxes.ActivationGranularity(level: bad), bad)
        }
        XCTAssertEqual(levels.map(\.description), ["per_tensor", "per_token", "peg3", "peg6_permuted"])
        // Q8BERT's int32 bias has one activation scale; a PEG cell of it is refused, naming the option.
        XCTAssertThrowsError(try SweepSpec(base: .named("q8bert-dynamic"), axes: SweepAxes(activationGranularity: [levels[2]]))
            .expand(base: .q8bertDynamic)) { error in
            XCTAssertTrue("\(error)".contains("options.bias"), "\(error)")
        }
    }

    func testWeightOnlyBaseIsRejected() {
        XCTAssertThrowsError(try SweepSpec(base: .named("fp16"), axes: axes).expand(base: .fp16))
    }

    /// The shipped q8bert-comparison experiment: FP32 + 5 listed schemes + 16 variants.
    func testShippedAblationExpansion() throws {
        let e = try Experiment.load(file: Fixtures.projectRoot.appendingPathComponent("experiments/q8bert-comparison.yaml").path,
                                    model: Fixtures.tinyBert.path, workingDirectory: Fixtures.projectRoot)
        XCTAssertEqual(e.variants.count, 16)
        XCTAssertEqual(e.schemes.count, 22)
        XCTAssertEqual(Array(e.schemes.prefix(6).map(\.name)),
                       ["fp32", "pytorch-dynamic", "pytorch-dynamic-8bit", "pytorch-dynamic-per-channel",
                        "q8bert-dynamic", "q8bert-static"])
        XCTAssertTrue(e.schemes.dropFirst(6).allSatisfy { $0.name.hasPrefix("ablation.act-") })
    }
}
