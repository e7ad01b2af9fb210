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
    public static func load(folder: URL) throws -> BertModel {
        let config = try BertConfiguration.load(folder.appendingPathComponent("config.json"))
        let source: any TensorSource
        do {
            source = try CheckpointLoader.open(folder: folder)
        } catch {
            throw BERTError.checkpoint("\(error)")
        }
        return try load(config: config, weights: source, name: folder.path)
    }

    /// Builds the model from a configuration and any tensor source (file, or tensors made in memory).
    public static func load(config: BertConfiguration, weights source: any TensorSource, name: String) throws -> BertModel {
        var byName: [String: String] = [:]   // canonical → checkpoint key
        for key in source.names { byName[BertWeightNames.sanitize(key)] = key }

        func tensor(_ canonical: String, _ shape: [Int]) throws -> Tensor {
            guard let key = byName[canonical] else { throw BERTError.missingTensor(model: name, name: canonical) }
            let t: Tensor
            do { t = try source.floatTensor(key) } catch { throw BERTError.checkpoint("\(error)") }
            guard t.shape == shape else {
                throw BERTError.wrongShape(model: name, name: key, expected: shape, found: t.shape)
            }
            return t
        }
        let c = config, H = c.hiddenSize
        let word = try tensor("embeddings.word_embeddings.weight", [c.vocabSize, H])
        let pos = try tensor("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, H])
        let type = try tensor("embeddings.token_type_embeddings.weight", [c.typeVocabSize, H])
        var norms: [String: LayerNormParams] = [:]
        for n in BertWeightNames.layerNorms(layers: c.numHiddenLayers) {
            norms[n] = LayerNormParams(gamma: try tensor("\(n).weight", [H]).data, beta: try tensor("\(n).bias", [H]).data)
        }
        var linears: [String: any LinearOp] = [:]
        for n in BertWeightNames.linearLayers(layers: c.numHiddenLayers) {
            let shape = BertWeightNames.linearShape(n, config: c)
            let w = try tensor("\(n).weight", shape)
            let b = try tensor("\(n).bias", [shape[0]])
            linears[n] = DenseLinear(weight: w, bias: b.data)
        }
        return BertModel(config: c, source: name, wordEmbeddings: word, positionEmbeddings: pos,
                         tokenTypeEmbeddings: type, layerNorms: norms, linears: linears)
    }
}
