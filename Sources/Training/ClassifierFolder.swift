import BERT
import Checkpoints
import Foundation
import TensorCore
import _Support

/// Reading a base model for fine-tuning and writing the fine-tuned classifier as a Hugging Face folder.
///
/// A base may be a full `BertForSequenceClassification` or a bare `BertModel` (a sentence-transformers folder such
/// as all-MiniLM-L6-v2): tensors it lacks among `pooler.dense.*` and `classifier.*` are initialised as HF's
/// `BertPreTrainedModel._init_weights` does (weights ~ N(0, initializer_range²), biases 0) from a seeded generator,
/// and listed in `BaseModel.freshlyInitialized` so the caller can say so. Every encoder tensor must be present.
public enum ClassifierFolder {
    /// A base model ready to train.
    public struct BaseModel {
        public let config: BertConfiguration
        /// FP32 tensors by canonical name (no `bert.` prefix).
        public let tensors: [String: Tensor]
        /// Names initialised here because the base lacked them (e.g. `classifier.weight`).
        public let freshlyInitialized: [String]
        /// HF `hidden_dropout_prob` (default 0.1).
        public let hiddenDropout: Double
        /// HF `attention_probs_dropout_prob` (default 0.1).
        public let attentionDropout: Double
        /// The base folder's `config.json` as a dictionary (kept for the output's config).
        public let rawConfig: [String: Any]
    }

    /// Loads `config.json` and the weights of `folder`; missing pooler/classifier tensors get seeded HF init.
    /// - Throws: `TrainingError.badModel` naming the folder and tensor for anything else that is missing or misshapen;
    ///   `TrainingError.familyNotTrainable` for a `model_type` other than bert.
    /// Tensors holding NaN or ±Inf are refused (file and tensor named) unless `allowNonFinite`.
    public static func loadBase(folder: URL, seed: UInt64, allowNonFinite: Bool = false) throws -> BaseModel {
        let configURL = folder.appendingPathComponent("config.json")
        let config: BertConfiguration
        do { config = try BertConfiguration.load(configURL) } catch {
            throw TrainingError.badModel(path: folder.path, reason: "\(error)")
        }
        // TrainableBert has BERT's backward passes only; other families load for inference (BertModel) alone.
        guard config.modelType == "bert" else {
            throw TrainingError.familyNotTrainable(path: configURL.path, modelType: config.modelType)
        }
        let raw = (try? JSONSerialization.jsonObject(with: Data(contentsOf: configURL))) as? [String: Any] ?? [:]
        let source: any TensorSource
        do { source = try CheckpointLoader.open(folder: folder) } catch {
            throw TrainingError.badModel(path: folder.path, reason: "\(error)")
        }
        var byName: [String: String] = [:]
        for key in source.names { byName[BertWeightNames.sanitize(key)] = key }

        let c = config, H = c.hiddenSize
        var expected: [(String, [Int])] = [
            ("embeddings.word_embeddings.weight", [c.vocabSize, H]),
            ("embeddings.position_embeddings.weight", [c.maxPositionEmbeddings, H]),
            ("embeddings.token_type_embeddings.weight", [c.typeVocabSize, H]),
        ]
        for n in BertWeightNames.layerNorms(layers: c.numHiddenLayers) {
            expected += [("\(n).weight", [H]), ("\(n).bias", [H])]
        }
        for n in BertWeightNames.linearLayers(layers: c.numHiddenLayers) {
            let shape = BertWeightNames.linearShape(n, config: c)
            expected += [("\(n).weight", shape), ("\(n).bias", [shape[0]])]
        }
        let initializable: Set<String> = ["pooler.dense.weight", "pooler.dense.bias", "classifier.weight", "classifier.bias"]
        let std = Float((raw["initializer_range"] as? NSNumber)?.doubleValue ?? 0.02)
        var rng = SeededRandom(seed: SeedMixer.derive(seed, 0x4845_4144))
        var tensors: [String: Tensor] = [:]
        var fresh: [String] = []
        for (name, shape) in expected {
            if let key = byName[name] {
                let t: Tensor
                do { t = try source.floatTensor(key) } catch {
                    throw TrainingError.badModel(path: folder.path, reason: "tensor \(key): \(error)")
                }
                guard t.shape == shape else {
                    throw TrainingError.badModel(path: folder.path, reason: "tensor \(key) has shape \(t.shape), expected \(shape)")
                }
                if !allowNonFinite, let i = t.data.firstIndex(where: { !$0.isFinite }) {
                    throw TrainingError.badModel(path: folder.path, reason: "tensor \"\(key)\" holds \(t.data[i]) at index \(i) "
                                                 + "(non-finite weights; --allow-nonfinite loads them anyway)")
                }
                tensors[name] = t
            } else if initializable.contains(name) {
                let count = shape.reduce(1, *)
                tensors[name] = name.hasSuffix(".bias") ? Tensor(zeros: shape)
                    : Tensor(shape: shape, data: (0..<count).map { _ in rng.normal(std: std) })
                fresh.append(name)
            } else {
                throw TrainingError.badModel(path: folder.path, reason: "missing tensor \(name) (also looked for bert.\(name))")
            }
        }
        // Dropout probabilities come from the file: a value outside [0, 1) is the user's, so it throws (the
        // dropout mask would otherwise stop on a precondition).
        let configPath = folder.appendingPathComponent("config.json").path
        func prob(_ key: String, default value: Double?) throws -> Double? {
            guard let v = raw[key], !(v is NSNull) else { return value }
            guard let n = v as? NSNumber, n.doubleValue.isFinite,
                  n.doubleValue >= 0, n.doubleValue < 1 else {
                throw TrainingError.badModel(path: configPath, reason: "key \(key): \(v); expected a number in [0, 1)")
            }
            return n.doubleValue
        }
        let hidden = try prob("hidden_dropout_prob", default: 0.1)!
        return BaseModel(config: config, tensors: tensors, freshlyInitialized: fresh,
                         hiddenDropout: try prob("classifier_dropout", default: nil) ?? hidden,
                         attentionDropout: try prob("attention_probs_dropout_prob", default: 0.1)!, rawConfig: raw)
    }

    /// The `config.json` of the fine-tuned classifier: the base's keys, with `architectures`
    /// `["BertForSequenceClassification"]`, `model_type` "bert", `num_labels` and `id2label`/`label2id`.
    public static func classifierConfig(base raw: [String: Any], numLabels: Int) -> [String: Any] {
        var cfg = raw
        cfg["architectures"] = ["BertForSequenceClassification"]
        cfg["model_type"] = "bert"
        cfg["num_labels"] = numLabels
        cfg["problem_type"] = "single_label_classification"
        cfg["id2label"] = Dictionary(uniqueKeysWithValues: (0..<numLabels).map { ("\($0)", "LABEL_\($0)") })
        cfg["label2id"] = Dictionary(uniqueKeysWithValues: (0..<numLabels).map { ("LABEL_\($0)", $0) })
        cfg.removeValue(forKey: "_name_or_path")
        return cfg
    }

    /// Writes a Hugging Face `BertForSequenceClassification` folder: `config.json` (`classifierConfig`),
    /// `model.safetensors` (`bert.`-prefixed encoder keys, `classifier.*`; metadata `format: pt`), the base's
    /// tokenizer files that exist (`tokenizer.json`, `tokenizer_config.json`, `special_tokens_map.json`, `vocab.txt`,
    /// `vocab.json`, `merges.txt`), plus `extraFiles` (e.g. a
    /// training record). The folder is assembled under a hidden temporary name next to `out` and renamed at the
    /// end, so `out` appears whole or not at all.
    /// - Throws: `TrainingError.badOutput` when `out` exists or cannot be written.
    public static func write(tensors: [String: Tensor], config: [String: Any], vocabularyFrom base: URL,
                             extraFiles: [String: Data] = [:], to out: URL) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: out.path) {
            throw TrainingError.badOutput(path: out.path, reason: "already exists; choose a new output folder")
        }
        do { try AtomicFile.checkWritable(out.path) } catch {
            throw TrainingError.badOutput(path: out.path, reason: "\(error)")
        }
        // The files `TokenizerLoader` reads (Training does not import Tokenization).
        let tokenizerFiles = ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt",
                              "vocab.json", "merges.txt"]
        guard ["tokenizer.json", "vocab.txt", "vocab.json"].contains(where: {
            fm.fileExists(atPath: base.appendingPathComponent($0).path)
        }) else {
            throw TrainingError.badModel(path: base.path, reason: "the model folder has no tokenizer.json, vocab.txt or vocab.json")
        }
        do {
            try AtomicFolder.create(out) { tmp in
                var w = SafeTensorsWriter(metadata: ["format": "pt"])
                for (name, t) in tensors {
                    try w.add(name.hasPrefix("classifier.") ? name : "bert.\(name)", t)
                }
                try w.write(to: tmp.appendingPathComponent("model.safetensors"))
                let json = try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
                try json.write(to: tmp.appendingPathComponent("config.json"))
                try AtomicFolder.copy(tokenizerFiles, from: base, into: tmp, skipMissing: true)
                for (name, data) in extraFiles { try data.write(to: tmp.appendingPathComponent(name)) }
            }
        } catch {
            throw TrainingError.badOutput(path: out.path, reason: "cannot write the model folder: \(error)")
        }
    }
}
