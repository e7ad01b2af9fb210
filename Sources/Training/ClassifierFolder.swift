import BERT
import Checkpoints
import Foundation
import TensorCore
import _Support

/// Reading a base model for fine-tuning and writing the fine-tuned classifier as a Hugging Face folder.
///
/// A base may be a full `…ForSequenceClassification` of a family `TrainableBert` trains (BERT, RoBERTa, XLM-R,
/// DistilBERT) or a bare encoder (`BertModel`, `RobertaModel`, … — a sentence-transformers folder such as
/// all-MiniLM-L6-v2): tensors it lacks among the head's (`EncoderLayout.headDense` and `headOutput`: `pooler.dense`
/// and `classifier` for BERT, `classifier.dense` and `classifier.out_proj` for RoBERTa, `pre_classifier` and
/// `classifier` for DistilBERT) are initialised as HF's `_init_weights` does (weights ~ N(0, initializer_range²),
/// biases 0) from a seeded generator, and listed in `BaseModel.freshlyInitialized` so the caller can say so. Every
/// encoder tensor must be present.
public enum ClassifierFolder {
    /// A base model ready to train.
    public struct BaseModel {
        public let config: BertConfiguration
        /// FP32 tensors by canonical name (no base prefix such as `bert.`).
        public let tensors: [String: Tensor]
        /// Names initialised here because the base lacked them (e.g. `classifier.weight`).
        public let freshlyInitialized: [String]
        /// HF `hidden_dropout_prob` (DistilBERT `dropout`; default 0.1).
        public let hiddenDropout: Double
        /// HF `attention_probs_dropout_prob` (DistilBERT `attention_dropout`; default 0.1).
        public let attentionDropout: Double
        /// The head's dropout: HF `classifier_dropout` (DistilBERT `seq_classif_dropout`, default 0.2); nil =
        /// `hiddenDropout`.
        public let classifierDropout: Double?
        /// The base folder's `config.json` as a dictionary (kept for the output's config).
        public let rawConfig: [String: Any]
    }

    /// Loads `config.json` and the weights of `folder`; missing pooler/classifier tensors get seeded HF init.
    /// - Throws: `TrainingError.badModel` naming the folder and tensor for anything else that is missing or misshapen;
    ///   `TrainingError.familyNotTrainable` for a `model_type` outside `TrainableBert.modelTypes`.
    /// Tensors holding NaN or ±Inf are refused (file and tensor named) unless `allowNonFinite`.
    public static func loadBase(folder: URL, seed: UInt64, allowNonFinite: Bool = false) throws -> BaseModel {
        let configURL = folder.appendingPathComponent("config.json")
        let config: BertConfiguration
        do { config = try BertConfiguration.load(configURL) } catch {
            throw TrainingError.badModel(path: folder.path, reason: "\(error)")
        }
        // TrainableBert has the backward passes of some families only; the others load for inference alone.
        guard TrainableBert<Float>.modelTypes.contains(config.modelType) else {
            throw TrainingError.familyNotTrainable(path: configURL.path, modelType: config.modelType)
        }
        if let reason = TrainableBert<Float>.unsupported(config) {
            throw TrainingError.badModel(path: configURL.path, reason: reason)
        }
        let raw = (try? JSONSerialization.jsonObject(with: Data(contentsOf: configURL))) as? [String: Any] ?? [:]
        let source: any TensorSource
        do { source = try CheckpointLoader.open(folder: folder) } catch {
            throw TrainingError.badModel(path: folder.path, reason: "\(error)")
        }
        guard let family = EncoderFamilies.family(config.modelType) else {
            throw TrainingError.familyNotTrainable(path: configURL.path, modelType: config.modelType)
        }
        var byName: [String: String] = [:]
        for key in source.names { byName[family.sanitize(key)] = key }

        let layout = config.layout
        var expected: [(String, [Int])] = layout.tables.map { ("\($0.name).weight", [$0.rows, $0.width ?? layout.embeddingWidth]) }
        for n in layout.norms { expected += [("\(n.name).weight", [n.width]), ("\(n.name).bias", [n.width])] }
        for l in layout.linears { expected += [("\(l.name).weight", [l.out, l.in]), ("\(l.name).bias", [l.out])] }
        let initializable = Set([layout.headDense, layout.headOutput].flatMap { ["\($0).weight", "\($0).bias"] })
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
                throw TrainingError.badModel(path: folder.path, reason: "missing tensor \(name) (also looked for \(family.prefix)\(name))")
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
        let k = family.configKey
        let hidden = try prob(k("hidden_dropout_prob"), default: 0.1)!
        return BaseModel(config: config, tensors: tensors, freshlyInitialized: fresh, hiddenDropout: hidden,
                         attentionDropout: try prob(k("attention_probs_dropout_prob"), default: 0.1)!,
                         classifierDropout: try prob(k("classifier_dropout"), default: config.classifierDropout.map(Double.init)),
                         rawConfig: raw)
    }

    /// The `config.json` of the fine-tuned classifier: the base's keys, with `architectures` the family's
    /// `…ForSequenceClassification` (`architecture(modelType:)`), `model_type` (the base's, "bert" when absent),
    /// `num_labels` and `id2label`/`label2id`.
    public static func classifierConfig(base raw: [String: Any], numLabels: Int) -> [String: Any] {
        var cfg = raw
        let modelType = raw["model_type"] as? String ?? "bert"
        cfg["architectures"] = [architecture(modelType: modelType)]
        cfg["model_type"] = modelType
        cfg["num_labels"] = numLabels
        cfg["problem_type"] = "single_label_classification"
        cfg["id2label"] = Dictionary(uniqueKeysWithValues: (0..<numLabels).map { ("\($0)", "LABEL_\($0)") })
        cfg["label2id"] = Dictionary(uniqueKeysWithValues: (0..<numLabels).map { ("LABEL_\($0)", $0) })
        cfg.removeValue(forKey: "_name_or_path")
        return cfg
    }

    /// The transformers class of a trained `model_type`'s classifier (`BertForSequenceClassification`, …).
    public static func architecture(modelType: String) -> String {
        switch modelType {
        case "roberta": return "RobertaForSequenceClassification"
        case "xlm-roberta": return "XLMRobertaForSequenceClassification"
        case "distilbert": return "DistilBertForSequenceClassification"
        default: return "BertForSequenceClassification"
        }
    }

    /// Writes a Hugging Face `…ForSequenceClassification` folder of `config`'s `model_type` (bert when absent):
    /// `config.json` (`classifierConfig`), `model.safetensors` (encoder keys with the family's prefix, `bert.`,
    /// `roberta.`, `distilbert.`; the head's `classifier*` / `pre_classifier*` keys unprefixed; metadata
    /// `format: pt`), the base's
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
        let modelType = config["model_type"] as? String ?? "bert"
        guard let family = EncoderFamilies.family(modelType) else {
            throw TrainingError.badOutput(path: out.path, reason: "config key \"model_type\": unknown family \(modelType)")
        }
        do {
            try AtomicFolder.create(out) { tmp in
                var w = SafeTensorsWriter(metadata: ["format": "pt"])
                for (name, t) in tensors {
                    try w.add(family.isHeadTensor(name) ? name : family.prefix + name, t)
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
