import Quantization
import TensorCore
import XCTest

/// The 16-bit mixed-precision presets (Bondarenko et al. 2021's W8A{8,16}): which tensors are 16-bit, which
/// implementation runs them, and what 16-bit buys over 8-bit on one layer.
final class MixedPrecisionTests: XCTestCase {
    static let ffnIn = ["encoder.layer.3.intermediate.dense", "transformer.layer.1.ffn.lin1",
                        "encoder.albert_layer_groups.0.albert_layers.0.ffn"]
    static let ffnOut = ["encoder.layer.3.output.dense", "transformer.layer.1.ffn.lin2",
                         "encoder.albert_layer_groups.0.albert_layers.0.ffn_output"]
    static let others = ["encoder.layer.3.attention.self.query", "encoder.layer.3.attention.output.dense",
                         "transformer.layer.1.attention.out_lin", "encoder.albert_layer_groups.0.albert_layers.0.attention.dense",
                         "pooler.dense", "classifier"]

    func testQ8BERTMixedPrecisionPutsFFNInputAndOutputAt16Bits() throws {
        for (name, base) in [("q8bert-static-mp16", ModelScheme.q8bertStatic), ("q8bert-dynamic-mp16", .q8bertDynamic)] {
            let s = try SchemeRegistry.scheme(named: name)
            let b = try XCTUnwrap(base.defaultScheme)
            for l in Self.ffnIn {
                let ls = try XCTUnwrap(s.layerScheme(for: l), "\(name) \(l)")
                XCTAssertEqual(ls.activation?.bits, 16, "\(name) \(l): FFN input")
                XCTAssertEqual(ls.activation?.qmax, 32767)
                XCTAssertEqual(ls.activation?.range, b.activation?.range, "\(name) \(l): same range kind as the base")
                XCTAssertEqual(ls.outputScheme, b.activation, "\(name) \(l): the pre-activation output stays 8-bit")
                XCTAssertEqual(ls.implementation, .fakeQuant, "\(name) \(l): 16-bit inputs cannot run the int8 GEMM")
            }
            for l in Self.ffnOut {
                let ls = try XCTUnwrap(s.layerScheme(for: l))
                XCTAssertEqual(ls.activation, b.activation, "\(name) \(l): its input (the activation output) stays 8-bit")
                XCTAssertEqual(ls.outputScheme?.bits, 16, "\(name) \(l): FFN output")
                XCTAssertEqual(ls.implementation, .integerGEMM, "\(name) \(l): 8-bit input, int8 GEMM, 16-bit re-quantization")
            }
            for l in Self.others { XCTAssertEqual(s.layerScheme(for: l), b, "\(name) \(l)") }
            XCTAssertEqual(s.quantizeEmbeddings, base.quantizeEmbeddings)
        }
        let p = try SchemeRegistry.scheme(named: "pytorch-dynamic-mp16")
        for l in Self.ffnIn {
            XCTAssertEqual(p.layerScheme(for: l)?.activation, .dynamicActivation16Affine)
            XCTAssertEqual(p.layerScheme(for: l)?.activation?.qmax, 65535)
        }
        for l in Self.ffnOut + Self.others { XCTAssertEqual(p.layerScheme(for: l), ModelScheme.pytorchDynamic.defaultScheme, l) }
    }

    func testSixteenBitsAreForActivationsAndOutputsOnly() {
        var ls = LayerScheme(weight: .integer(bits: 16, signed: true, symmetric: true), activation: .q8bertDynamicActivation)
        XCTAssertThrowsError(try ls.validate()) { XCTAssertTrue("\($0)".contains("weight.bits"), "\($0)") }
        XCTAssertThrowsError(try QuantScheme.integer(bits: 17, signed: true, symmetric: true).validate())
        ls = LayerScheme(weight: .q8bertWeight, activation: .q8bertDynamicActivation, output: .q8bertDynamicActivation16)
        XCTAssertThrowsError(try ls.validate(), "an output scheme without requantize_output does nothing") {
            XCTAssertTrue("\($0)".contains("output"), "\($0)")
        }
        ls.options.requantizeOutput = true
        XCTAssertNoThrow(try ls.validate())
        ls.output = .q8bertStaticActivation16
        XCTAssertThrowsError(try ls.validate(), "static output range with dynamic activations") {
            XCTAssertTrue("\($0)".contains("output.range"), "\($0)")
        }
    }

    func testSixteenBitActivationsAreCloserToFloatThanEightBit() throws {
        let r = RandomLayer(out: 24, in: 64, rows: 9, seed: 3)
        let reference = r.layer(r.input)
        func error(_ a: QuantScheme) throws -> Float {
            let q = try quantize(r.layer, name: "encoder.layer.0.intermediate.dense",
                                 scheme: LayerScheme(weight: .q8bertWeight, activation: a))
            let y = q(r.input)
            return zip(y.data, reference.data).map { abs($0 - $1) }.max()!
        }
        let e8 = try error(.q8bertDynamicActivation), e16 = try error(.q8bertDynamicActivation16)
        // 16-bit activations leave only the weight error; 8-bit adds the activation step.
        XCTAssertLessThan(e16, e8)
        let w16 = try quantize(r.layer, name: "x", scheme: LayerScheme(weight: .q8bertWeight, activation: .q8bertDynamicActivation16))
        XCTAssertTrue(w16 is FakeQuantLinear, "16-bit activations run as fake quantization, got \(type(of: w16))")
    }
}
