import BERT
import Checkpoints
import Foundation
import Quantization
import TensorCore
import Tokenization
import _Support

/// A quantized model folder: HF layout (`config.json`, the tokenizer files, `model.safetensors`) whose safetensors file
/// stores quantized layers as integer codes and parameters, plus the scheme as metadata.
///
/// Layout (format version 1), per quantized linear layer `L` (HF name):
/// - `L.weight`: codes `[out, in]` as `I8` (or `I32` for unsigned 8-bit codes), or `F16` for fp16 schemes
/// - `L.weight_scale` `F32 [P]`, `L.weight_inverse_scale` `F32 [P]` (the multiplier used to quantize: fbgemm's
///   `1/scale`, Q8BERT's `127/max`), `L.weight_zero_point` `I32 [P]` — P = 1 (per tensor), out (per channel) or
///   out·in/G (per group); `L.bias` `F32 [out]`
/// - static activation ranges in metadata `quantbench.calibration` (JSON: layer → `Calibration`)
/// Embedding tables quantized by the scheme are stored the same way (`embeddings.*.weight` codes + scales).
/// Everything else (LayerNorms, FP32 layers) is `F32` under its HF name. Metadata: `quantbench.format` = "1",
/// `quantbench.scheme` (the `ModelScheme` as JSON). Reading rebuilds the operators from the stored codes, so a
/// reloaded model computes exactly what quantizing on the fly computes.
public enum QuantizedCheckpoint {
    public static let formatVersion = "1"

    /// Whether `folder/model.safetensors` was written by `write`.
    public static func isQuantized(folder: URL) -> Bool {
        let url = folder.appendingPathComponent("model.safetensors")
        guard let f = try? SafeTensorsFile(url: url) else { return false }
        return f.metadata["quantbench.format"] != nil
    }

    /// Quantizes `model` with `scheme` (static ranges from `calibrations`) and writes the folder `out`, copying
    /// `config.json` and the tokenizer files (`TokenizerLoader.tokenizerFiles`) from `source`. The folder appears whole or not at all (temp folder + rename).
    /// - Throws: `ExperimentError.badPath` when `out` exists or cannot be created.
    public static func write(model: BertModel, scheme: ModelScheme, calibrations: [String: Calibration],
                             source: URL, to out: URL) throws {
        if scheme.smoothQuant != nil {
            throw ExperimentError.invalid("scheme \(scheme.name) applies SmoothQuant, which a quantized folder cannot store "
                                          + "yet (folded LayerNorms and per-channel input factors); evaluate it from the FP32 folder")
        }
        let fm = FileManager.default
        if fm.fileExists(atPath: out.path) {
            throw ExperimentError.badPath(path: out.path, reason: "already exists; choose a new output folder")
        }
        try AtomicFile.checkWritable(out.path)
        var w = SafeTensorsWriter(metadata: [:])
        func addCodes(_ name: String, _ q: QuantizedTensor) throws {
            switch q.values {
            case let .int8(v):
                try w.add("\(name).weight", dtype: .i8, shape: q.shape, bytes: v.withUnsafeBytes { Data($0) })
            case let .int32(v):
                try w.add("\(name).weight", dtype: .i32, shape: q.shape, bytes: v.withUnsafeBytes { Data($0) })
            }
            try w.add("\(name).weight_scale", Tensor(shape: [q.params.count], data: q.params.scales))
            try w.add("\(name).weight_inverse_scale", Tensor(shape: [q.params.count], data: q.params.inverseScales))
            try w.add("\(name).weight_zero_point", dtype: .i32, shape: [q.params.count],
                      bytes: q.params.zeroPoints.withUnsafeBytes { Data($0) })
        }
        // Embeddings.
        for name in model.embeddingNames {
            let t = model.embeddingTables[name]!
            if scheme.quantizeEmbeddings, let es = scheme.embeddingScheme, es.format == .integer {
                try addCodes(name, try WeightQuantizer.quantizeWeights(t, scheme: es, name: name))
            } else {
                try w.add("\(name).weight", t)
            }
        }
        for (name, ln) in model.layerNorms {
            try w.add("\(name).weight", Tensor(shape: [ln.gamma.count], data: ln.gamma))
            try w.add("\(name).bias", Tensor(shape: [ln.beta.count], data: ln.beta))
        }
        var layerMeta: [String: String] = [:]
        for name in model.linearNames {
            guard let dense = model.linears[name] as? DenseLinear else {
                throw ExperimentError.invalid("layer \(name) is already quantized; quantize an FP32 model")
            }
            if let b = dense.bias { try w.add("\(name).bias", Tensor(shape: [b.count], data: b)) }
            guard let ls = scheme.layerScheme(for: name) else {
                try w.add("\(name).weight", dense.weight)
                continue
            }
            try ls.validate()
            if ls.weight.format == .float16 {
                var h = [UInt16](repeating: 0, count: dense.weight.count)
                WeightQuantizer.float16Bits(dense.weight.data, into: &h)
                try w.add("\(name).weight", dtype: .f16, shape: dense.weight.shape, bytes: h.withUnsafeBytes { Data($0) })
                layerMeta[name] = "float16"
            } else if ls.weight.format == .bfloat16 {
                var h = [UInt16](repeating: 0, count: dense.weight.count)
                WeightQuantizer.bfloat16Bits(dense.weight.data, into: &h)
                try w.add("\(name).weight", dtype: .bf16, shape: dense.weight.shape, bytes: h.withUnsafeBytes { Data($0) })
                layerMeta[name] = "bfloat16"
            } else {
                try addCodes(name, try WeightQuantizer.quantizeWeights(dense.weight, scheme: ls.weight, name: name))
                layerMeta[name] = "integer"
            }
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        w.metadata["quantbench.format"] = formatVersion
        w.metadata["quantbench.scheme"] = String(decoding: try enc.encode(scheme), as: UTF8.self)
        w.metadata["quantbench.layers"] = String(decoding: try enc.encode(layerMeta), as: UTF8.self)
        w.metadata["quantbench.calibration"] = String(decoding: try enc.encode(calibrations), as: UTF8.self)

        do {
            try AtomicFolder.create(out) { tmp in
                try AtomicFolder.copy(["config.json"], from: source, into: tmp)
                try AtomicFolder.copy(TokenizerLoader.tokenizerFiles, from: source, into: tmp, skipMissing: true)
                try w.write(to: tmp.appendingPathComponent("model.safetensors"))
            }
        } catch {
            throw ExperimentError.badPath(path: out.path, reason: "cannot write quantized model: \(error)")
        }
    }

    /// Reads a folder written by `write`: the model with its quantized operators rebuilt from the stored codes,
    /// and the scheme it was made with.
    /// - Throws: `ExperimentError` naming the file and tensor for missing tensors or parameters whose shape does
    ///   not match their weights.
    ///   With `allowNonFinite` false (the default), stored floats holding NaN or ±Inf throw `BERTError.nonFiniteWeight`.
    public static func load(folder: URL, allowNonFinite: Bool = false) throws -> (BertModel, ModelScheme) {
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafeTensorsFile(url: url)
        let config = try BertConfiguration.load(folder.appendingPathComponent("config.json"))
        func meta<T: Decodable>(_ key: String, _ type: T.Type) throws -> T {
            guard let s = file.metadata[key] else {
                throw ExperimentError.badPath(path: url.path, reason: "metadata \(key) is missing")
            }
            do { return try JSONDecoding.decode(T.self, from: Data(s.utf8)) } catch {
                throw ExperimentError.badPath(path: url.path, reason: "metadata \(key): \(DecodingErrorText.describe(error))")
            }
        }
        func bad(_ key: String, _ reason: String) -> ExperimentError {
            ExperimentError.badPath(path: url.path, reason: "\(key): \(reason)")
        }
        let format = file.metadata["quantbench.format"] ?? ""
        guard format == formatVersion else {
            throw bad("metadata quantbench.format", "format version '\(format)' is not the one this build writes "
                      + "and reads ('\(formatVersion)')")
        }
        let scheme = try meta("quantbench.scheme", ModelScheme.self)
        if scheme.smoothQuant != nil {
            throw bad("metadata quantbench.scheme", "scheme \(scheme.name) applies SmoothQuant, which quantized folders do not store")
        }
        do { try scheme.validate() } catch { throw bad("metadata quantbench.scheme", "\(error)") }
        let layers = try meta("quantbench.layers", [String: String].self)
        for (name, kind) in layers.sorted(by: { $0.key < $1.key }) {
            guard let ls = scheme.layerScheme(for: name) else {
                throw bad("metadata quantbench.layers", "layer \(name) is stored quantized but the scheme keeps it FP32")
            }
            let expected = ls.weight.format == .integer ? "integer" : ls.weight.format.rawValue
            guard kind == expected else {
                throw bad("metadata quantbench.layers", "layer \(name) is stored as '\(kind)', but its scheme "
                          + "\(scheme.name) stores '\(expected)'")
            }
        }
        let calibrations = try meta("quantbench.calibration", [String: Calibration].self)
        for (name, calibration) in calibrations.sorted(by: { $0.key < $1.key }) {
            let inputCount = calibration.inputGroups?.groups ?? 1 // per-embedding-group: one entry per group
            for (which, params, count) in [("input", calibration.input, inputCount), ("output", calibration.output, 1)] {
                guard let params else { continue }
                if let reason = Self.problem(params, expectedCount: count, symmetric: false) {
                    throw bad("metadata quantbench.calibration", "layer \(name) \(which): \(reason)")
                }
            }
        }

        func codes(_ name: String, scheme qs: QuantScheme) throws -> QuantizedTensor {
            let info = try file.info("\(name).weight")
            guard info.shape.count == 2, qs.format == .integer else {
                throw bad("tensor \(name).weight", "expected \(qs.format) codes [out, in], found \(info.dtype) \(info.shape)")
            }
            if case let .perGroup(size) = qs.granularity, size <= 0 || info.shape[1] % size != 0 {
                throw bad("tensor \(name).weight", "group size \(size) does not divide the \(info.shape[1]) columns")
            }
            let raw = try file.rawBytes("\(name).weight")
            let values: QuantizedTensor.Values
            let outside: Int32?
            switch info.dtype {
            case .i8:
                let v = raw.withUnsafeBytes { Array($0.bindMemory(to: Int8.self)) }
                outside = v.first(where: { Int32($0) < qs.qmin || Int32($0) > qs.qmax }).map(Int32.init)
                values = .int8(v)
            case .i32:
                let v = raw.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
                outside = v.first(where: { $0 < qs.qmin || $0 > qs.qmax })
                values = .int32(v)
            default:
                throw bad("tensor \(name).weight", "expected I8 or I32 codes, found \(info.dtype)")
            }
            if let outside {
                throw bad("tensor \(name).weight", "code \(outside) is outside the scheme's range [\(qs.qmin), \(qs.qmax)]")
            }
            let zpInfo = try file.info("\(name).weight_zero_point")
            guard zpInfo.dtype == .i32 else {
                throw bad("tensor \(name).weight_zero_point", "expected I32 zero points, found \(zpInfo.dtype)")
            }
            let scales = try file.floatTensor("\(name).weight_scale").data
            let inverse = try file.floatTensor("\(name).weight_inverse_scale").data
            let zps = try file.rawBytes("\(name).weight_zero_point").withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
            let expected = QuantizedTensor.paramCount(shape: info.shape, granularity: qs.granularity)
            guard scales.count == expected, zps.count == expected, inverse.count == expected else {
                throw ExperimentError.badPath(path: url.path, reason: "tensor \(name).weight_scale has \(scales.count) values "
                    + "and weight_zero_point \(zps.count), but weight \(info.shape) with \(qs.granularity) needs \(expected)")
            }
            let params = QuantParams(scales: scales, inverseScales: inverse, zeroPoints: zps, qmin: qs.qmin, qmax: qs.qmax)
            if let i = scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
                throw bad("tensor \(name).weight_scale", "scale \(scales[i]) at index \(i) is not finite and positive")
            }
            if let i = inverse.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
                throw bad("tensor \(name).weight_inverse_scale", "inverse scale \(inverse[i]) at index \(i) is not finite and positive")
            }
            if let reason = Self.problem(params, expectedCount: expected, symmetric: qs.symmetric) {
                throw bad("tensor \(name).weight_zero_point", reason)
            }
            return QuantizedTensor(values: values, shape: info.shape, params: params,
                                   granularity: qs.granularity, bits: qs.bits)
        }

        // A tensor source that serves dequantized embeddings and FP32 weights for layers kept in FP32, so the
        // ordinary loader checks every shape.
        var floats: [String: Tensor] = [:]
        let tableNames = Set(config.layout.tableNames)   // the family's embedding tables, as `write` stores them
        let parameterSuffixes = [".weight_scale", ".weight_inverse_scale", ".weight_zero_point"]
        for name in file.names where !parameterSuffixes.contains(where: { name.hasSuffix($0) }) {
            let base = String(name.dropLast(".weight".count))
            if name.hasSuffix(".weight"), layers[base] != nil { continue }
            if name.hasSuffix(".weight"), tableNames.contains(base), scheme.quantizeEmbeddings,
               let es = scheme.embeddingScheme, es.format == .integer {  // as `write` stores them
                floats[name] = try codes(base, scheme: es).dequantized()
                continue
            }
            floats[name] = try file.floatTensor(name)
        }
        for name in layers.keys {
            // Placeholder so the loader checks the stored shape; the operator is rebuilt from codes below.
            floats["\(name).weight"] = Tensor(zeros: try file.shape(of: "\(name).weight"))
        }
        var model = try BertModel.load(config: config, weights: InMemoryTensors(floats), name: folder.path,
                                       weightsFile: url.path, allowNonFinite: allowNonFinite)
        if scheme.quantizeEmbeddings, let es = scheme.embeddingScheme {
            model.embeddingBitsPerValue = es.storageBits
        }
        model = try model.replacingLinears { name, op in
            guard let kind = layers[name] else { return op }
            guard let ls = scheme.layerScheme(for: name), let dense = op as? DenseLinear else {
                throw ExperimentError.badPath(path: url.path, reason: "layer \(name) is stored quantized but the scheme keeps it FP32")
            }
            if kind == "float16" {
                return Float16Linear(DenseLinear(weight: try file.floatTensor("\(name).weight"), bias: dense.bias))
            }
            if kind == "bfloat16" { // the stored bfloat16 values round to themselves
                return try BFloat16Linear(DenseLinear(weight: try file.floatTensor("\(name).weight"), bias: dense.bias), name: name)
            }
            return try LinearQuantizer(scheme: ls).assemble(weights: try codes(name, scheme: ls.weight), bias: dense.bias,
                                                            name: name, calibration: calibrations[name])
        }
        return (model, scheme)
    }
}

extension QuantizedCheckpoint {
    /// What is wrong with stored parameters `p`, or nil: `expectedCount` entries in each array, scales and inverse
    /// scales finite and positive, `qmin < qmax`, zero points inside `[qmin, qmax]` (and 0 when `symmetric`).
    static func problem(_ p: QuantParams, expectedCount: Int, symmetric: Bool) -> String? {
        guard p.scales.count == expectedCount, p.inverseScales.count == expectedCount, p.zeroPoints.count == expectedCount else {
            return "needs \(expectedCount) scales, inverse scales and zero points, has \(p.scales.count), "
                + "\(p.inverseScales.count) and \(p.zeroPoints.count)"
        }
        if let i = p.scales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            return "scale \(p.scales[i]) at index \(i) is not finite and positive"
        }
        if let i = p.inverseScales.firstIndex(where: { !($0.isFinite && $0 > 0) }) {
            return "inverse scale \(p.inverseScales[i]) at index \(i) is not finite and positive"
        }
        guard p.qmin < p.qmax else { return "qmin \(p.qmin) is not below qmax \(p.qmax)" }
        if symmetric, let i = p.zeroPoints.firstIndex(where: { $0 != 0 }) {
            return "zero point \(p.zeroPoints[i]) at index \(i), but a symmetric scheme stores 0"
        }
        if let i = p.zeroPoints.firstIndex(where: { $0 < p.qmin || $0 > p.qmax }) {
            return "zero point \(p.zeroPoints[i]) at index \(i) is outside [\(p.qmin), \(p.qmax)]"
        }
        return nil
    }
}

/// Named tensors held in memory, as a `TensorSource`.
public struct InMemoryTensors: TensorSource {
    public var tensors: [String: Tensor]
    public init(_ tensors: [String: Tensor]) { self.tensors = tensors }
    public var names: [String] { tensors.keys.sorted() }
    public func shape(of name: String) throws -> [Int] { try get(name).shape }
    public func dtype(of name: String) throws -> DType { _ = try get(name); return .f32 }
    public func floatTensor(_ name: String) throws -> Tensor { try get(name) }
    private func get(_ name: String) throws -> Tensor {
        guard let t = tensors[name] else { throw ExperimentError.invalid("missing tensor \(name)") }
        return t
    }
}
