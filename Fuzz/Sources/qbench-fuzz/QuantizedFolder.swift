import BERT
import Checkpoints
import Experiments
import Foundation
import Quantization

extension FuzzTarget {
    /// The metadata of a quantized folder (`quantbench.format`, `.scheme`, `.layers`, `.calibration`): the input is
    /// a JSON object of those strings, written over the tensors of the tiny fixture quantized with
    /// `pytorch-dynamic`, and the folder is loaded as `qbench eval --model` does.
    static let quantizedMetadata = FuzzTarget(name: "quantized-metadata", reads: "quantized folder metadata") { data in
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        var metadata: [String: String] = [:]
        for (k, v) in object { if let s = v as? String { metadata[k] = s } }
        let source = quantizedFixture
        var w = SafeTensorsWriter(metadata: metadata)
        for name in source.file.names {
            let info = try source.file.info(name)
            try w.add(name, dtype: info.dtype, shape: info.shape, bytes: try source.file.rawBytes(name))
        }
        let folder = scratch.appendingPathComponent("quantized")
        try w.write(to: folder.appendingPathComponent("model.safetensors"))
        _ = try QuantizedCheckpoint.load(folder: folder)
    }

    /// The tiny fixture quantized once (config.json and vocab.txt stay beside the fuzzed weights).
    static let quantizedFixture: (file: SafeTensorsFile, folder: URL) = {
        let folder = scratch.appendingPathComponent("quantized")
        let seedFolder = scratch.appendingPathComponent("quantized-source")
        let tiny = repository.appendingPathComponent("Tests/Fixtures/tiny-random-bert")
        do {
            let model = try BertModel.load(folder: tiny)
            try QuantizedCheckpoint.write(model: model, scheme: try SchemeRegistry.scheme(named: "pytorch-dynamic"), calibrations: [:], source: tiny, to: seedFolder)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for f in ["config.json", "vocab.txt"] {
                try? FileManager.default.removeItem(at: folder.appendingPathComponent(f))
                try FileManager.default.copyItem(at: tiny.appendingPathComponent(f), to: folder.appendingPathComponent(f))
            }
            return (try SafeTensorsFile(url: seedFolder.appendingPathComponent("model.safetensors")), folder)
        } catch {
            fatalError("cannot quantize the tiny fixture: \(error)")
        }
    }()
}
