import Foundation
import Quantization
import XCTest

/// JSON form of schemes (written into YAML experiment files and HDF5 attributes).
final class SchemeCodingTests: XCTestCase {
    func encode<T: Encodable>(_ v: T) throws -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return String(decoding: try e.encode(v), as: UTF8.self)
    }

    func testEveryPresetRoundTrips() throws {
        for m in SchemeRegistry.table {
            let data = try JSONEncoder().encode(m)
            let back = try JSONDecoder().decode(ModelScheme.self, from: data)
            XCTAssertEqual(back, m, m.name)
            XCTAssertEqual(try encode(back), try encode(m), m.name)
        }
    }

    func testReadableKeys() throws {
        let json = try encode(ModelScheme.pytorchDynamic)
        for key in ["\"default\"", "\"quantize_embeddings\"", "\"narrow_range\"", "\"scale_rule\":\"fbgemm\"",
                    "\"range\":{\"kind\":\"dynamic_per_tensor\"}", "\"granularity\":{\"kind\":\"per_tensor\"}",
                    "\"qmax\":127", "\"requantize_output\":false", "\"bias\":\"fp32\"", "\"rounding\":\"nearest_even\""] {
            XCTAssertTrue(json.contains(key), "missing \(key) in \(json)")
        }
        XCTAssertTrue(try encode(ModelScheme.q8bertStatic).contains("\"range\":{\"decay\":0.9999,\"kind\":\"static_ema\"}"))
        XCTAssertTrue(try encode(ModelScheme.int4PerGroup).contains("{\"kind\":\"per_group\",\"size\":32}"))
        XCTAssertEqual(try encode(QuantScheme.float16), "{\"format\":\"float16\"}")
    }

    func testShortFormDerivesRangeAndDefaults() throws {
        let json = """
        {"name": "custom", "default": {"weight": {"bits": 4, "signed": true, "symmetric": true,
                                                  "granularity": {"kind": "per_group", "size": 64}},
                                       "activation": {"bits": 8, "signed": false, "symmetric": false, "qmax": 127,
                                                      "range": "dynamic_per_row", "scale_rule": "fbgemm"}},
         "exclude": ["classifier"]}
        """
        let m = try JSONDecoder().decode(ModelScheme.self, from: Data(json.utf8))
        let s = try XCTUnwrap(m.defaultScheme)
        XCTAssertEqual(s.weight, .integer(bits: 4, signed: true, symmetric: true, granularity: .perGroup(size: 64)))
        XCTAssertEqual([s.weight.qmin, s.weight.qmax], [-8, 7])
        XCTAssertEqual(s.activation, QuantScheme.pytorchDynamicActivation.withRange(.dynamicPerRow))
        XCTAssertEqual(s.options, LayerOptions())
        XCTAssertEqual(m.exclude, ["classifier"])
        XCTAssertFalse(m.quantizeEmbeddings)
        XCTAssertNoThrow(try m.validate())
    }

    func testUnknownKindIsADecodingErrorNamingTheChoices() {
        let json = #"{"bits": 8, "signed": true, "symmetric": true, "granularity": "per_row"}"#
        XCTAssertThrowsError(try JSONDecoder().decode(QuantScheme.self, from: Data(json.utf8))) { error in
            XCTAssertTrue("\(error)".contains("per_tensor, per_channel, per_group"), "\(error)")
        }
    }

    func testEmbeddingGroupGranularityCoding() throws {
        let a = QuantScheme.embeddingGroupActivation(groups: 6, permute: true)
        let text = try encode(a)
        for part in ["\"kind\":\"per_embedding_group\"", "\"groups\":6", "\"permute\":true"] {
            XCTAssertTrue(text.contains(part), text)
        }
        XCTAssertEqual(try JSONDecoder().decode(QuantScheme.self, from: JSONEncoder().encode(a)), a)
        let short = #"{"bits": 8, "signed": false, "symmetric": false, "range": "static_min_max", "granularity": {"kind": "per_embedding_group", "groups": 3}}"#
        XCTAssertEqual(try JSONDecoder().decode(QuantScheme.self, from: Data(short.utf8)).granularity,
                       .perEmbeddingGroup(groups: 3, permute: false))
        let bare = #"{"bits": 8, "signed": false, "symmetric": false, "granularity": "per_embedding_group"}"#
        XCTAssertThrowsError(try JSONDecoder().decode(QuantScheme.self, from: Data(bare.utf8))) { error in
            XCTAssertTrue("\(error)".contains("needs groups"), "\(error)")
        }
        let c = Calibration(input: QuantParams(scales: [0.5, 0.25], zeroPoints: [3, 4], qmin: 0, qmax: 255),
                            inputGroups: EmbeddingGroups(order: [1, 0, 3, 2], groups: 2))
        XCTAssertEqual(try JSONDecoder().decode(Calibration.self, from: JSONEncoder().encode(c)), c)
        let calibrationText = try encode(c)
        XCTAssertTrue(calibrationText.contains("\"input_groups\":{"), calibrationText)
    }

    func testCalibrationRoundTrips() throws {
        let c = Calibration(input: QuantParams(scales: [0.5], zeroPoints: [3], qmin: 0, qmax: 255),
                            output: QuantParams(scales: [0.25], inverseScales: [4], zeroPoints: [0], qmin: -127, qmax: 127))
        XCTAssertEqual(try JSONDecoder().decode(Calibration.self, from: JSONEncoder().encode(c)), c)
        XCTAssertTrue(try encode(c).contains("\"inverse_scales\":[2]"))
    }
}
