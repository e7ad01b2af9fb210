import ArgumentParser
import BERT
import Checkpoints
import Foundation
import _Support

/// `qbench model init`: a BERT-shaped classifier with seeded random weights, for size and speed work.
struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "model", abstract: "Make model folders.",
                                                    subcommands: [Init.self])

    struct Init: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a BERT model folder with seeded random weights (HF layout; accuracy is meaningless).")

        @Option(help: "Shape preset: bert-base (12×768, 110M parameters), bert-tiny (2×128) or minilm-l6 (6×384).")
        var preset: String = "bert-base"
        @Option(help: "Random seed.")
        var seed: UInt64 = 0
        @Option(help: "Output folder (must not exist).")
        var out: String
        @Option(help: "WordPiece vocabulary to ship with the model.")
        var vocab: String = "data/vocab/bert-base-uncased-vocab.txt"

        func run() throws {
            let presets: [String: BertConfiguration] = [
                "bert-base": BertConfiguration(),
                "bert-tiny": BertConfiguration(hiddenSize: 128, numHiddenLayers: 2, numAttentionHeads: 2, intermediateSize: 512),
                "minilm-l6": BertConfiguration(hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 12, intermediateSize: 1536),
            ]
            guard let config = presets[preset] else {
                throw ValidationError("unknown preset \(preset); known: \(presets.keys.sorted().joined(separator: ", "))")
            }
            let fm = FileManager.default
            guard !fm.fileExists(atPath: out) else { throw ValidationError("\(out) already exists") }
            guard fm.fileExists(atPath: vocab) else { throw ValidationError("vocabulary \(vocab) not found") }
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
            print("wrote \(out): \(preset) shape, seed \(seed), random weights (for size and speed only)")
        }
    }
}
