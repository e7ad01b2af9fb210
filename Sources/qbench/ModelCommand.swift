import ArgumentParser
import Experiments
import Foundation

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
            try RandomModelFolder.write(preset: preset, seed: seed, vocab: vocab, to: out)
            print("wrote \(out): \(preset) shape, seed \(seed), random weights (for size and speed only)")
        }
    }
}
