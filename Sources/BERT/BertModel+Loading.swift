import Checkpoints
import Foundation
import TensorCore

extension BertModel {
    /// Loads a Hugging Face BERT folder: `config.json` plus `model.safetensors` or `pytorch_model.bin`.
    ///
    /// Keys may carry the `bert.` prefix or not, and LayerNorms may use legacy `gamma`/`beta` names
    /// (`BertWeightNames.sanitize`). Every tensor's shape is checked against the configuration.
    /// - Throws: `BERTError` naming the file and the key or tensor for a bad config, a missing tensor or a
    ///   wrong shape; `CheckpointError` descriptions for unreadable or corrupt weight files.
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
        var byName: [String: String] = [:]   // canonical → checkpoint key
        for key in source.names { byName[BertWeightNames.sanitize(key)] = key }

        /// Tensor `canonical`, which `config.json`'s `keys` (one per dimension) give shape `shape`.
        func tensor(_ canonical: String, _ shape: [Int], keys: [String]) throws -> Tensor {
            guard let key = byName[canonical] else { throw BERTError.missingTensor(model: name, name: canonical) }
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
                throw BERTError.nonFiniteWeight(file: weightsFile ?? name, tensor: key, index: i, value: t.data[i])
            }
            return t
        }
        let c = config, H = c.hiddenSize
        let word = try tensor("embeddings.word_embeddings.weight", [c.vocabSize, H], keys: ["vocab_size", "hidden_size"])
        let pos = try tensor("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, H],
                             keys: ["max_position_embeddings", "hidden_size"])
        let type = try tensor("embeddings.token_type_embeddings.weight", [c.typeVocabSize, H],
                              keys: ["type_vocab_size", "hidden_size"])
        var norms: [String: LayerNormParams] = [:]
        for n in BertWeightNames.layerNorms(layers: c.numHiddenLayers) {
            norms[n] = LayerNormParams(gamma: try tensor("\(n).weight", [H], keys: ["hidden_size"]).data,
                                       beta: try tensor("\(n).bias", [H], keys: ["hidden_size"]).data)
        }
        var linears: [String: any LinearOp] = [:]
        for n in BertWeightNames.linearLayers(layers: c.numHiddenLayers) {
            let shape = BertWeightNames.linearShape(n, config: c)
            let keys = BertWeightNames.linearShapeKeys(n)
            let w = try tensor("\(n).weight", shape, keys: keys)
            let b = try tensor("\(n).bias", [shape[0]], keys: [keys[0]])
            linears[n] = DenseLinear(weight: w, bias: b.data)
        }
        return BertModel(config: c, source: name, wordEmbeddings: word, positionEmbeddings: pos,
                         tokenTypeEmbeddings: type, layerNorms: norms, linears: linears)
    }
}
