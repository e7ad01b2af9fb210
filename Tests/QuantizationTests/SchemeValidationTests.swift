import Quantization
import TensorCore
import XCTest

/// Errors a user can cause, and what they say.
final class SchemeValidationTests: XCTestCase {
    func assertInvalid(_ s: QuantScheme, field: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try s.validate(), file: file, line: line) { error in
            guard case let QuantizationError.invalidScheme(f, _) = error else {
                return XCTFail("unexpected \(error)", file: file, line: line)
            }
            XCTAssertEqual(f, field, "\(error)", file: file, line: line)
            XCTAssertTrue("\(error)".contains(field), file: file, line: line)
        }
    }

    func testFieldErrors() {
        var seventeen = QuantScheme.pytorchWeight
        seventeen.bits = 17
        assertInvalid(seventeen, field: "bits")
        var sixteen = QuantScheme.q8bertDynamicActivation16
        XCTAssertNoThrow(try sixteen.validate(), "16-bit integer schemes are valid (activations and outputs)")
        sixteen.qmax = 32768
        assertInvalid(sixteen, field: "qmax")
        assertInvalid(.integer(bits: 1, signed: true, symmetric: true), field: "bits")
        assertInvalid(QuantScheme.pytorchWeight.withRange(qmin: 5, qmax: 5), field: "qmin")
        assertInvalid(QuantScheme.pytorchWeight.withRange(qmin: 10, qmax: -10), field: "qmin")
        assertInvalid(QuantScheme.pytorchWeight.withRange(qmin: -200, qmax: 127), field: "qmin")
        assertInvalid(QuantScheme.pytorchDynamicActivation.withRange(qmin: 0, qmax: 256), field: "qmax")
        assertInvalid(QuantScheme.integer(bits: 4, signed: true, symmetric: true).withRange(qmin: -8, qmax: 8), field: "qmax")
        assertInvalid(QuantScheme.pytorchWeight.withGranularity(.perGroup(size: 0)), field: "granularity.size")
        assertInvalid(QuantScheme.pytorchWeight.withGranularity(.perChannel(axis: 1)), field: "granularity.axis")
        assertInvalid(.integer(bits: 8, signed: false, symmetric: true), field: "signed")
        assertInvalid(.integer(bits: 8, signed: true, symmetric: true, scaleRule: .fbgemm), field: "scale_rule")
        assertInvalid(QuantScheme.q8bertDynamicActivation.withRange(.staticEMA(decay: 1)), field: "range.decay")
        assertInvalid(QuantScheme.q8bertDynamicActivation.withRange(.staticPercentile(p: 20)), field: "range.p")
        XCTAssertNoThrow(try QuantScheme.float16.validate())
    }

    func testLayerAndModelErrorsNameTheirPath() {
        var m = ModelScheme.pytorchDynamic
        m.defaultScheme?.activation?.bits = 17
        XCTAssertThrowsError(try m.validate()) { XCTAssertEqual("\($0)", "invalid quantization scheme: default.activation.bits: must be 2…16, got 17") }
        var w = ModelScheme.pytorchDynamic
        w.defaultScheme?.weight = .integer(bits: 9, signed: true, symmetric: true)
        XCTAssertThrowsError(try w.validate()) {
            XCTAssertEqual("\($0)", "invalid quantization scheme: default.weight.bits: integer weights are 2…8 bits (9…16 bits are for activations and outputs), got 9")
        }

        let intBiasWeightOnly = LayerScheme(weight: .pytorchWeight, options: LayerOptions(bias: .int32))
        XCTAssertThrowsError(try intBiasWeightOnly.validate()) {
            XCTAssertEqual($0 as? QuantizationError, .invalidScheme(field: "options.bias", reason: "an int32 bias needs an activation scale (s_w·s_a); add an activation scheme"))
        }
        let fp16WithActivations = LayerScheme(weight: .float16, activation: .pytorchDynamicActivation)
        XCTAssertThrowsError(try fp16WithActivations.validate()) { XCTAssertTrue("\($0)".contains("activation")) }

        var o = ModelScheme.fp32
        o.overrides = [LayerOverride(pattern: "classifier", scheme: LayerScheme(weight: .pytorchWeight.withRange(qmin: 1, qmax: 0)))]
        XCTAssertThrowsError(try o.validate()) { XCTAssertTrue("\($0)".contains("overrides[0].scheme.weight.qmin"), "\($0)") }
    }

    /// bfloat16 runs weights and activations together; half a bf16 scheme names the missing side.
    func testHalfABFloat16SchemeNamesTheField() {
        let reason = "bfloat16 runs weights and activations in bfloat16: set both to {format: bfloat16}"
        XCTAssertThrowsError(try LayerScheme(weight: .bfloat16).validate()) {
            XCTAssertEqual($0 as? QuantizationError, .invalidScheme(field: "activation", reason: reason))
        }
        XCTAssertThrowsError(try LayerScheme(weight: .pytorchWeight, activation: .bfloat16).validate()) {
            XCTAssertEqual($0 as? QuantizationError, .invalidScheme(field: "weight.format", reason: reason))
        }
        XCTAssertNoThrow(try LayerScheme(weight: .bfloat16, activation: .bfloat16).validate())
        XCTAssertFalse(LayerScheme(weight: .bfloat16, activation: .bfloat16).requiresCalibration)
    }

    func testGroupSizeNotDividingWidthNamesTheLayer() {
        let layer = DenseLinear(weight: Tensor(zeros: [4, 48]), bias: nil)
        XCTAssertThrowsError(try quantize(layer, name: "encoder.layer.2.intermediate.dense",
                                          scheme: ModelScheme.int4PerGroup.defaultScheme!)) { error in
            XCTAssertEqual(error as? QuantizationError,
                           .layerShape(layer: "encoder.layer.2.intermediate.dense", reason: "group size 32 does not divide the input width 48"))
            XCTAssertEqual("\(error)", "layer 'encoder.layer.2.intermediate.dense': group size 32 does not divide the input width 48")
        }
    }

    func testInvalidSchemeInQuantizeNamesTheLayer() {
        let layer = DenseLinear(weight: Tensor(zeros: [4, 4]), bias: nil)
        let bad = LayerScheme(weight: .pytorchWeight.withRange(qmin: 0, qmax: 0))
        XCTAssertThrowsError(try quantize(layer, name: "pooler.dense", scheme: bad)) {
            XCTAssertTrue("\($0)".hasPrefix("layer 'pooler.dense': invalid quantization scheme: weight.qmin"), "\($0)")
        }
    }

    func testStaticSchemeWithoutCalibrationThrows() {
        let layer = DenseLinear(weight: Tensor(zeros: [4, 4]), bias: nil)
        XCTAssertThrowsError(try quantize(layer, name: "classifier", scheme: ModelScheme.q8bertStatic.defaultScheme!)) {
            XCTAssertEqual($0 as? QuantizationError, .missingCalibration(layer: "classifier"))
        }
    }

    /// Per-embedding-group activations: activations only, static min/max, integer-GEMM weights, fp32 bias, no
    /// output re-quantization, and G must divide the layer's input width.
    func testEmbeddingGroupRules() throws {
        let peg = QuantScheme.embeddingGroupActivation(groups: 6, permute: false)
        func field(_ s: LayerScheme) -> String? {
            do { try s.validate(); return nil } catch let QuantizationError.invalidScheme(field, _) { return field } catch { return "\(error)" }
        }
        XCTAssertNil(field(LayerScheme(weight: .pytorchWeight, activation: peg)))
        XCTAssertEqual(field(LayerScheme(weight: .pytorchWeight.withGranularity(.perEmbeddingGroup(groups: 2, permute: false)))), "weight.granularity")
        XCTAssertEqual(field(LayerScheme(weight: .pytorchWeight, activation: peg.withRange(.dynamicPerTensor))), "activation.range")
        XCTAssertEqual(field(LayerScheme(weight: .pytorchWeight, activation: peg.withRange(.staticEMA(decay: 0.9)))), "activation.range")
        XCTAssertEqual(field(LayerScheme(weight: .integer(bits: 4, signed: true, symmetric: true, granularity: .perGroup(size: 32)),
                                         activation: peg)), "weight")
        XCTAssertEqual(field(LayerScheme(weight: .pytorchWeight, activation: peg, options: LayerOptions(bias: .int32))), "options.bias")
        XCTAssertEqual(field(LayerScheme(weight: .pytorchWeight, activation: peg, options: LayerOptions(requantizeOutput: true))),
                       "options.requantize_output")
        XCTAssertEqual(field(LayerScheme(weight: .pytorchWeight, activation: .integer(bits: 8, signed: false, symmetric: false,
            granularity: .perEmbeddingGroup(groups: 0, permute: false), range: .staticMinMax))), "activation.granularity.groups")
        // 64 columns in 6 groups: refused when the layer is built, naming the layer.
        let layer = DenseLinear(weight: Tensor(shape: [4, 64], data: (0..<256).map { Float($0 % 7) - 3 }), bias: nil)
        let cal = try CalibratingLinear(layer, name: "encoder.layer.1.output.dense", scheme: LayerScheme(weight: .pytorchWeight, activation: peg))
        _ = cal(Tensor(shape: [2, 64], data: (0..<128).map { Float($0) / 10 }))
        XCTAssertThrowsError(try cal.finalize()) { error in
            XCTAssertTrue("\(error)".contains("encoder.layer.1.output.dense") && "\(error)".contains("do not divide"), "\(error)")
        }
    }

    func testUnknownSchemeListsRegisteredNames() throws {
        XCTAssertEqual(try SchemeRegistry.scheme(named: "q8bert-dynamic"), .q8bertDynamic)
        XCTAssertThrowsError(try SchemeRegistry.scheme(named: "int3-magic")) { error in
            XCTAssertEqual(error as? QuantizationError, .unknownScheme(name: "int3-magic", registered: SchemeRegistry.names))
            let text = "\(error)"
            for name in SchemeRegistry.names { XCTAssertTrue(text.contains(name), text) }
        }
        XCTAssertEqual(SchemeRegistry.names, ["fp32", "pytorch-dynamic", "pytorch-dynamic-8bit", "pytorch-dynamic-per-channel",
                                              "fp16", "bf16", "q8bert-dynamic", "q8bert-static", "weight-only-int8", "int4-per-group",
                                              "smoothquant-pytorch-dynamic", "smoothquant-q8bert-dynamic", "smoothquant-q8bert-static",
                                              "pytorch-dynamic-mp16", "q8bert-dynamic-mp16", "q8bert-static-mp16",
                                              "torchao-int8-dynamic", "peg6", "peg6-permuted"])
    }
}
