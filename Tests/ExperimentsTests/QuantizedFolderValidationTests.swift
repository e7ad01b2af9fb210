import _TestSupport
import BERT
import Checkpoints
import Experiments
import Foundation
import Quantization
import TensorCore
import XCTest

/// A quantized folder whose stored parameters were tampered with: loading it throws one error naming
/// `model.safetensors` and the tensor or key, never a trap.
final class QuantizedFolderValidationTests: XCTestCase {
    static let layer = "encoder.layer.0.attention.self.query"

    var temporary: TemporaryDirectory!
    var root: URL { temporary.url }

    override func setUpWithError() throws { temporary = try TemporaryDirectory(prefix: "qfolder") }
    override func tearDown() { temporary = nil }

    /// A folder written by `QuantizedCheckpoint.write` from the tiny fixture with `scheme`.
    func quantizedFolder(_ scheme: ModelScheme, calibrations: [String: Calibration] = [:]) throws -> URL {
        let out = root.appendingPathComponent(scheme.name)
        let model = try BertModel.load(folder: Fixtures.tinyBert)
        try QuantizedCheckpoint.write(model: model, scheme: scheme, calibrations: calibrations,
                                      source: Fixtures.tinyBert, to: out)
        return out
    }

    /// Rewrites `folder/model.safetensors`, letting `edit` change the raw bytes of tensors and the metadata.
    func tamper(_ folder: URL, metadata: (inout [String: String]) -> Void = { _ in },
                _ edit: (String, inout Data) -> Void = { _, _ in }) throws {
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var meta = file.metadata
        metadata(&meta)
        var w = SafeTensorsWriter(metadata: meta)
        for name in file.names {
            let info = try file.info(name)
            var bytes = try file.rawBytes(name)
            edit(name, &bytes)
            try w.add(name, dtype: info.dtype, shape: info.shape, bytes: bytes)
        }
        try w.write(to: url)
    }

    func setInt32(_ data: inout Data, at index: Int, _ value: Int32) {
        withUnsafeBytes(of: value.littleEndian) { data.replaceSubrange((4 * index)..<(4 * index + 4), with: $0) }
    }

    func setFloat(_ data: inout Data, at index: Int, _ value: Float) {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.replaceSubrange((4 * index)..<(4 * index + 4), with: $0) }
    }

    func assertLoadFails(_ folder: URL, _ fragments: [String], line: UInt = #line) {
        do {
            _ = try QuantizedCheckpoint.load(folder: folder)
            XCTFail("loading succeeded; expected an error mentioning \(fragments)", line: line)
        } catch {
            let text = "\(error)"
            XCTAssertFalse(text.contains("\n"), "error is not one line: \(text)", line: line)
            for f in fragments where !text.contains(f) {
                XCTFail("error \"\(text)\" does not mention \"\(f)\"", line: line)
            }
        }
    }

    func testUntamperedFolderLoads() throws {
        let folder = try quantizedFolder(.pytorchDynamic)
        let (model, scheme) = try QuantizedCheckpoint.load(folder: folder)
        XCTAssertEqual(scheme.name, "pytorch-dynamic")
        XCTAssertFalse(model.linearNames.isEmpty)
    }

    func testSymmetricWeightWithNonzeroZeroPoint() throws {
        let folder = try quantizedFolder(.pytorchDynamic)
        try tamper(folder) { name, data in if name == "\(Self.layer).weight_zero_point" { setInt32(&data, at: 0, 3) } }
        assertLoadFails(folder, ["model.safetensors", "\(Self.layer).weight_zero_point", "symmetric"])
    }

    func testBadScales() throws {
        for (i, bad) in [Float(0), -1, .nan, .infinity].enumerated() {
            let folder = try quantizedFolder(.pytorchDynamic)
            try tamper(folder) { name, data in if name == "\(Self.layer).weight_scale" { setFloat(&data, at: 0, bad) } }
            assertLoadFails(folder, ["model.safetensors", "\(Self.layer).weight_scale"])
            try FileManager.default.removeItem(at: folder)
            _ = i
        }
        let folder = try quantizedFolder(.pytorchDynamic)
        try tamper(folder) { name, data in
            if name == "\(Self.layer).weight_inverse_scale" { setFloat(&data, at: 0, .nan) }
        }
        assertLoadFails(folder, ["model.safetensors", "\(Self.layer).weight_inverse_scale"])
    }

    func testCodesOutsideTheSchemeRange() throws {
        // int4 codes live in [-8, 7]; 100 fits in I8 but not in the scheme.
        let folder = try quantizedFolder(.int4PerGroup)
        try tamper(folder) { name, data in if name == "\(Self.layer).weight" { data[data.startIndex] = 100 } }
        assertLoadFails(folder, ["model.safetensors", "\(Self.layer).weight", "100"])
    }

    func testZeroPointWithTheWrongDType() throws {
        let folder = try quantizedFolder(.pytorchDynamic)
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        var w = SafeTensorsWriter(metadata: file.metadata)
        for name in file.names {
            let info = try file.info(name)
            if name == "\(Self.layer).weight_zero_point" {
                try w.add(name, Tensor(shape: info.shape, data: [Float](repeating: 0.5, count: info.shape.reduce(1, *))))
            } else {
                try w.add(name, dtype: info.dtype, shape: info.shape, bytes: try file.rawBytes(name))
            }
        }
        try w.write(to: url)
        assertLoadFails(folder, ["model.safetensors", "\(Self.layer).weight_zero_point", "I32"])
    }

    func testUnknownFormatVersion() throws {
        let folder = try quantizedFolder(.pytorchDynamic)
        try tamper(folder, metadata: { $0["quantbench.format"] = "2" })
        assertLoadFails(folder, ["model.safetensors", "quantbench.format", "2"])
    }

    func testUnknownLayerKind() throws {
        let folder = try quantizedFolder(.pytorchDynamic)
        try tamper(folder, metadata: {
            $0["quantbench.layers"] = $0["quantbench.layers"]!.replacingOccurrences(of: "integer", with: "ternary")
        })
        assertLoadFails(folder, ["model.safetensors", "quantbench.layers", "ternary"])
    }

    func testBadStaticCalibration() throws {
        let scheme = ModelScheme.q8bertStatic
        let model = try BertModel.load(folder: Fixtures.tinyBert)
        let good = QuantParams(scales: [0.05], zeroPoints: [0], qmin: -127, qmax: 127)
        var calibrations: [String: Calibration] = [:]
        for name in model.linearNames where scheme.layerScheme(for: name) != nil {
            calibrations[name] = Calibration(input: good, output: good)
        }
        _ = try QuantizedCheckpoint.load(folder: try quantizedFolder(scheme, calibrations: calibrations))
        try FileManager.default.removeItem(at: root.appendingPathComponent(scheme.name))

        // Input parameters with one scale but no inverse scale or zero point, then a negative scale.
        let brokenInputs: [[String: Any]] = [
            ["scales": [0.05], "inverse_scales": [Double](), "zero_points": [Int](), "qmin": -127, "qmax": 127],
            ["scales": [-1.0], "inverse_scales": [20.0], "zero_points": [0], "qmin": -127, "qmax": 127],
        ]
        for broken in brokenInputs {
            var all = try XCTUnwrap(JSONSerialization.jsonObject(with: try JSONEncoder().encode(calibrations)) as? [String: Any])
            var entry = try XCTUnwrap(all[Self.layer] as? [String: Any])
            entry["input"] = broken
            all[Self.layer] = entry
            let json = String(decoding: try JSONSerialization.data(withJSONObject: all), as: UTF8.self)
            let folder = try quantizedFolder(scheme, calibrations: calibrations)
            try tamper(folder, metadata: { $0["quantbench.calibration"] = json })
            assertLoadFails(folder, ["model.safetensors", "quantbench.calibration", Self.layer])
            try FileManager.default.removeItem(at: folder)
        }
    }
}
