import ArgumentParser
import BERT
import Datasets
import Experiments
import Foundation
import TensorCore

/// `qbench bench`: time schemes side by side (alternating A B A B) and print medians and ratios.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time FP32 and quantized variants side by side on the same batches; prints medians and ratios.")

    @Option(help: "Model folder (e.g. `qbench model init --preset bert-base` for BERT-base shape).")
    var model: String
    @Option(help: "TSV file or GLUE task folder.")
    var data: String = "data/glue/MRPC"
    @Option(help: "Split of a task folder.")
    var split: String = "dev"
    @Option(name: .customLong("scheme"), help: "Scheme to time (repeatable); the first is the ratio baseline.")
    var schemes: [String] = ["fp32", "pytorch-dynamic"]
    @Option(help: "Comma-separated thread counts.")
    var threads: String = "1,2"
    @Option(help: "Timed passes per variant and thread count (median reported).")
    var repeats: Int = 3
    @Option(help: "Use only the first N examples (0 = all).")
    var limit: Int = 0
    @Option(help: "Examples per batch.")
    var batchSize: Int = 8
    @Option(help: "Maximum tokens per pair.")
    var maxSeqLength: Int = 128
    @Flag(inversion: .prefixedNo, help: "Pad every sequence to --max-seq-length (the tutorial's batching).")
    var padToMax = true
    @OptionGroup var calibration: CalibrationOptions

    func run() throws {
        let threadCounts = threads.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !threadCounts.isEmpty, threadCounts.allSatisfy({ $0 >= 1 }) else {
            throw ValidationError("--threads must be a comma-separated list of positive integers, got \(threads)")
        }
        let resolved = try schemes.map(SchemeResolver.resolve)
        let folder = try ModelFolder(path: model)
        var dataset = try PairDataset.load(path: data, split: split)
        if limit > 0 { dataset = PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(limit))) }
        let options = BatchingOptions(batchSize: batchSize, maxSeqLength: maxSeqLength, padToMax: padToMax)
        let batches = Evaluator.batches(Evaluator.encode(dataset, tokenizer: folder.tokenizer, maxLength: maxSeqLength),
                                        options: options, padId: Int32(folder.model.config.padTokenId))
        var variants: [Benchmark.Variant] = []
        for s in resolved {
            let (m, used) = try folder.model(for: s) {
                try calibration.batches(folder: folder, options: options, defaultData: data)
            }
            variants.append(Benchmark.Variant(name: used.name, model: m))
        }
        let c = folder.model.config
        print("model \(model): \(c.numHiddenLayers) layers × \(c.hiddenSize), \(dataset.count) examples, "
              + "batch \(batchSize), \(padToMax ? "padded to \(maxSeqLength)" : "padded to longest"), "
              + "\(repeats) repeats, BLAS core \(BLASRuntime.coreName), CPU \(CPUInfo.current.brand)")
        print("| variant | size MB |\n|---|---|")
        for v in variants { print(String(format: "| %@ | %.1f |", v.name, Double(v.model.parameterBytes) / 1e6)) }
        print("")
        let rows = try Benchmark.run(variants, batches: batches, threads: threadCounts, repeats: repeats) { msg in
            if isatty(2) != 0 { FileHandle.standardError.write(Data(("\r\u{1B}[K" + msg).utf8)) }
        }
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        print(Benchmark.table(rows))
    }
}
