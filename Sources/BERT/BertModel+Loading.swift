import Checkpoints
import Foundation
import TensorCore

extension BertModel {
    /// Loads a Hugging Face encoder classifier folder: `config.json` (its `model_type` picks the `EncoderFamily`)
    /// plus `model.safetensors` or `pytorch_model.bin`.
    ///
    /// Keys may carry the family's base prefix (`bert.`, `roberta.`, …) or not, and LayerNorms may use legacy
    /// `gamma`/`beta` names (`EncoderFamily.sanitize`). Every tensor's shape is checked against the configuration,
    /// and every checkpoint tensor must be used, apart from the family's ignored extras (`isIgnoredExtra`).
    /// - Throws: `BERTError` naming the file and the key or tensor for a bad or unsupported config, a missing,
    ///   unused or wrongly shaped tensor; `CheckpointError` descriptions for unreadable or corrupt weight files.
    ///
    /// Weights holding NaN or ±Inf are refused (`BERTError.nonFiniteWeight`, naming the file and the first such
    /// tensor) unless `allowNonFinite` is true.
    public static func load(folder: URL, allowNonFinite: Bool = false) throws -> BertModel {
        let configURL = folder.appendingPathComponent("config.json")
        let config = try BertConfiguration.load(configURL)
        let source: any TensorSource
        do {
            source = try CheckpointLoader.open(folder: folder)
        } catch {
            throw BERTError.checkpoint("\(error)")
        }
        return try load(config: config, weights: source, name: folder.path, configFile: configURL.path,
                        weightsFile: CheckpointLoader.locate(folder: folder)?.path, allowNonFinite: allowNonFinite)
    }

    /// Builds the model from a configuration and any tensor source (file, or tensors made in memory).
    ///
    /// `configFile` and `weightsFile` are named in errors (a shape that disagrees with the configuration, a
    /// non-finite weight); they default to `name/config.json` and `name`. With `allowNonFinite` false, the first
    /// tensor holding NaN or ±Inf throws `BERTError.nonFiniteWeight`.
    public static func load(config: BertConfiguration, weights source: any TensorSource, name: String,
                            configFile: String? = nil, weightsFile: String? = nil,
                            allowNonFinite: Bool = false) throws -> BertModel {
        let configPath = configFile ?? URL(fileURLWithPath: name).appendingPathComponent("config.json").path
        let family = EncoderFamilies.family(of: config)
        let file = weightsFile ?? name
        var byName: [String: String] = [:]   // canonical → checkpoint key
        for key in source.names { byName[family.sanitize(key)] = key }

        /// Tensor `canonical`, which `config.json`'s `keys` (one per dimension) give shape `shape`.
        func tensor(_ canonical: String, _ shape: [Int], keys: [String]) throws -> Tensor {
            guard let key = byName[canonical] else {
                throw BERTError.missingTensor(model: file, name: canonical, prefix: family.prefix)
            }
            let found: [Int]
            do { found = try source.shape(of: key) } catch { throw BERTError.checkpoint("\(error)") }
            guard found == shape else {
                var differing = found.count == shape.count
                    ? shape.indices.filter { shape[$0] != found[$0] }.map { keys[$0] } : keys
                differing = differing.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
                throw BERTError.shapeDisagreesWithConfig(config: configPath, tensor: key, keys: differing,
                                                         expected: shape, found: found)
            }
            let t: Tensor
            do { t = try source.floatTensor(key) } catch { throw BERTError.checkpoint("\(error)") }
            if !allowNonFinite, let i = t.data.firstIndex(where: { !$0.isFinite }) {
                throw BERTError.nonFiniteWeight(file: file, tensor: key, index: i, value: t.data[i])
            }
            return t
        }
        let c = config, layout = config.layout
        // Every tensor the classifier uses, canonical name → (shape, keys), checked for presence before any is read.
        var wanted: [(String, [Int], [String])] = []
        for t in layout.tables {
            wanted.append(("\(t.name).weight", [t.rows, t.width ?? layout.embeddingWidth],
                           [t.rowsKey, t.widthKey ?? layout.embeddingWidthKey]))
        }
        for n in layout.norms {
            wanted.append(("\(n.name).weight", [n.width], [n.key]))
            wanted.append(("\(n.name).bias", [n.width], [n.key]))
        }
        for l in layout.linears {
            wanted.append(("\(l.name).weight", [l.out, l.in], [l.outKey, l.inKey]))
            if l.bias { wanted.append(("\(l.name).bias", [l.out], [l.outKey])) }
        }
        if let missing = wanted.first(where: { byName[$0.0] == nil }) {
            throw BERTError.missingTensor(model: file, name: missing.0, prefix: family.prefix)
        }
        let used = Set(wanted.map(\.0))
        if let extra = source.names.sorted().first(where: {
            let canonical = family.sanitize($0)
            return !used.contains(canonical) && !family.isIgnoredExtra(canonical, config: c)
        }) {
            throw BERTError.unusedTensor(file: file, tensor: extra, modelType: c.modelType)
        }

        var tables: [String: Tensor] = [:]
        for t in layout.tables {
            tables[t.name] = try tensor("\(t.name).weight", [t.rows, t.width ?? layout.embeddingWidth],
                                        keys: [t.rowsKey, t.widthKey ?? layout.embeddingWidthKey])
        }
        var norms: [String: LayerNormParams] = [:]
        for n in layout.norms {
            norms[n.name] = LayerNormParams(gamma: try tensor("\(n.name).weight", [n.width], keys: [n.key]).data,
                                            beta: try tensor("\(n.name).bias", [n.width], keys: [n.key]).data)
        }
        var linears: [String: any LinearOp] = [:]
        for l in layout.linears {
            let w = try tensor("\(l.name).weight", [l.out, l.in], keys: [l.outKey, l.inKey])
            let b = l.bias ? try tensor("\(l.name).bias", [l.out], keys: [l.outKey]).data : nil
            linears[l.name] = DenseLinear(weight: w, bias: b)
        }
        return BertModel(config: c, source: name, embeddingTables: tables, layerNorms: norms, linears: linears)
    }
}
