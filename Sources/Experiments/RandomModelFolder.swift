import BERT
import Checkpoints
import Foundation
import _Support

/// `qbench model init`: a BERT-shaped classifier folder (HF layout) with seeded random weights, for size and speed
/// work. Accuracy is meaningless; the seed is kept in the safetensors metadata (`quantbench.random_seed`), which
/// run manifests report.
public enum RandomModelFolder {
    /// Shape presets by name.
    public static let presets: [String: BertConfiguration] = [
        "bert-base": BertConfiguration(),
        "bert-tiny": BertConfiguration(hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512),
        "minilm-l6": BertConfiguration(hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536),
    ]

    /// Writes the folder `out` (must not exist; it appears whole or not at all): `model.safetensors`,
    /// `config.json` (two labels) and a copy of the vocabulary file `vocab`.
    /// - Throws: `ExperimentError.invalid` for an unknown preset or a missing vocabulary, `SupportError` when
    ///   `out` exists or cannot be written.
    public static func write(preset: String, seed: UInt64, vocab: String, to out: String) throws {
        guard let config = presets[preset] else {
            throw ExperimentError.invalid("unknown preset \(preset); known: \(presets.keys.sorted().joined(separator: ", "))")
        }
        let fm = FileManager.default
        guard !fm.fileExists(atPath: out) else { throw ExperimentError.invalid("\(out) already exists") }
        guard fm.fileExists(atPath: vocab) else { throw ExperimentError.invalid("vocabulary \(vocab) not found") }
        try AtomicFile.checkWritable(out)
        try AtomicFolder.create(URL(fileURLWithPath: out)) { tmp in
            var w = SafeTensorsWriter(metadata: ["format": "pt", "quantbench.random_seed": "\(seed)"])
            for (name, t) in BertRandomInit.weights(config: config, seed: seed) { try w.add(name, t) }
            try w.write(to: tmp.appendingPathComponent("model.safetensors"))
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            var cfg = config
            cfg.id2label = ["0": "LABEL_0", "1": "LABEL_1"]
            try enc.encode(cfg).write(to: tmp.appendingPathComponent("config.json"))
            try fm.copyItem(atPath: vocab, toPath: tmp.appendingPathComponent("vocab.txt").path)
        }
    }
}
