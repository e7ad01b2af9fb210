import ArgumentParser
import Experiments
import Foundation
import Quantization
import RunRecords

/// `qbench quantize`: write a quantized model folder (integer codes, scales, zero points, scheme metadata).
struct Quantize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Quantize an FP32 model folder with a scheme and write a loadable quantized folder.")

    @Option(help: "FP32 Hugging Face model folder.")
    var model: String
    @Option(help: "Scheme name or JSON/YAML scheme file.")
    var scheme: String
    @Option(help: "Output folder (must not exist).")
    var out: String
    @Option(help: "Data whose train split calibrates static schemes (TSV or task folder).")
    var data: String = "data/glue/MRPC"
    @Option(help: "Maximum tokens per calibration pair.")
    var maxSeqLength: Int = 128
    @OptionGroup var calibration: CalibrationOptions
    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        let outURL = URL(fileURLWithPath: out)
        if FileManager.default.fileExists(atPath: out) {
            throw ValidationError("\(out) already exists; choose a new output folder")
        }
        let modelScheme = try SchemeResolver.resolve(scheme)
        let folder = try ModelFolder(path: model, allowNonFinite: nonFinite.allowNonFinite)
        guard folder.storedScheme == nil else {
            throw ValidationError("\(model) is already quantized; quantize an FP32 model folder")
        }
        var ranges: [String: Quantization.Calibration] = [:]
        if modelScheme.requiresCalibration {
            let options = BatchingOptions(batchSize: 8, maxSeqLength: maxSeqLength, padToMax: false)
            let batches = try calibration.batches(folder: folder, options: options, defaultData: data)
            ranges = try ModelQuantization.calibrate(modelScheme, model: folder.model, batches: batches)
        }
        try QuantizedCheckpoint.write(model: folder.model, scheme: modelScheme, calibrations: ranges,
                                      source: folder.url, to: outURL)
        let size = (try? FileManager.default.attributesOfItem(atPath: outURL.appendingPathComponent("model.safetensors").path)[.size]
            as? Int) ?? 0
        print(String(format: "wrote %@ (%@, model.safetensors %.1f MB)", out, modelScheme.name, Double(size) / 1e6))
    }
}
