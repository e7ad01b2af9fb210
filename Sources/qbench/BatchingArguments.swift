import ArgumentParser
import Experiments
import Foundation
import RunRecords

/// Batch shape shared by `eval`, `stats` and `bench` (bench takes a list of thread counts, so threads live apart).
struct BatchShapeArguments: ParsableArguments {
    @Option(help: "Examples per batch.")
    var batchSize: Int = 8
    @Option(help: "Maximum tokens per pair (longest_first truncation).")
    var maxSeqLength: Int = 128
    @Flag(inversion: .prefixedNo,
          help: "Pad every sequence to --max-seq-length (the tutorial's batching) instead of the batch's longest (default: off for eval and stats, on for bench).")
    var padToMax: Bool?

    func validate() throws {
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be at least 1") }
        guard maxSeqLength >= 3 else { throw ValidationError("--max-seq-length must be at least 3") }
    }

    /// The batching as the library takes it; `padToMaxByDefault` applies when neither flag was given.
    func options(padToMaxByDefault: Bool) -> BatchingOptions {
        BatchingOptions(batchSize: batchSize, maxSeqLength: maxSeqLength, padToMax: padToMax ?? padToMaxByDefault)
    }

    /// Refuses a `--max-seq-length` longer than the model's position table.
    func check(maxPositionEmbeddings: Int) throws {
        guard maxSeqLength <= maxPositionEmbeddings else {
            throw ValidationError("--max-seq-length \(maxSeqLength) exceeds the model's max_position_embeddings "
                                  + "\(maxPositionEmbeddings)")
        }
    }
}

/// Threads and batching shared by `eval` and `stats` (one declaration, one validation).
struct BatchingArguments: ParsableArguments {
    @Option(help: "Threads for the engine and OpenBLAS (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount
    @OptionGroup var shape: BatchShapeArguments

    func validate() throws {
        if let problem = Limits.threadsProblem(threads) { throw ValidationError("--threads \(problem)") }
    }

    var batchSize: Int { shape.batchSize }
    var maxSeqLength: Int { shape.maxSeqLength }
    /// eval and stats pad to the batch's longest unless `--pad-to-max`.
    var padToMax: Bool { shape.padToMax ?? false }

    /// The batching as the library takes it.
    var options: BatchingOptions { shape.options(padToMaxByDefault: false) }

    /// Refuses a `--max-seq-length` longer than the model's position table.
    func check(maxPositionEmbeddings: Int) throws { try shape.check(maxPositionEmbeddings: maxPositionEmbeddings) }
}
