import ArgumentParser
import Experiments
import Foundation

/// Threads and batching shared by `eval` and `stats` (one declaration, one validation).
struct BatchingArguments: ParsableArguments {
    @Option(help: "Threads for the engine and OpenBLAS (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Examples per batch.")
    var batchSize: Int = 8
    @Option(help: "Maximum tokens per pair (longest_first truncation).")
    var maxSeqLength: Int = 128
    @Flag(help: "Pad every sequence to --max-seq-length (the tutorial's batching) instead of the batch's longest.")
    var padToMax = false

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard maxSeqLength >= 3 else { throw ValidationError("--max-seq-length must be at least 3") }
    }

    /// The batching as the library takes it.
    var options: BatchingOptions { BatchingOptions(batchSize: batchSize, maxSeqLength: maxSeqLength, padToMax: padToMax) }

    /// Refuses a `--max-seq-length` longer than the model's position table.
    func check(maxPositionEmbeddings: Int) throws {
        guard maxSeqLength <= maxPositionEmbeddings else {
            throw ValidationError("--max-seq-length \(maxSeqLength) exceeds the model's max_position_embeddings "
                                  + "\(maxPositionEmbeddings)")
        }
    }
}
