import ArgumentParser
import Datasets
import BERT
import Experiments
import Foundation
import RunRecords
import TensorCore
import _Support

/// `qbench eval`: evaluate a model folder on a pair-classification TSV or GLUE task folder.
struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate a BERT classifier on MRPC-format data (F1, accuracy, seconds).")

    @Option(help: "Hugging Face model folder (config.json, model.safetensors or pytorch_model.bin, tokenizer.json or vocab.txt).")
    var model: String
    @Option(help: "A TSV file, or a GLUE task folder (then --split picks the file).")
    var data: String
    @Option(help: "Split of a task folder: train, dev or test.")
    var split: String = "dev"
    @OptionGroup var batching: BatchingArguments
    @Option(help: "Write one JSON object per example: {index, label, prediction, logits}.")
    var predictions: String?
    @Flag(help: "Print one JSON object with the results on stdout.")
    var json = false
    @Option(help: "Quantization scheme: a registered name (see `qbench schemes`) or a JSON/YAML scheme file.")
    var scheme: String = "fp32"
    @OptionGroup var calibration: CalibrationOptions
    @Option(help: "FP32 numerics: fast (OpenBLAS, the default here) or reproducible (same bits on every CPU and thread count).")
    var numerics: NumericsMode = .fast
    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        if let predictions { try AtomicFile.checkWritable(predictions) }
        Parallel.setThreads(batching.threads)
        Numerics.setMode(numerics)
        let modelScheme = try SchemeResolver.resolve(scheme)
        let folder = try ModelFolder(path: model, allowNonFinite: nonFinite.allowNonFinite)
        try folder.checkBinaryClassifier()
        try batching.check(maxPositionEmbeddings: folder.model.config.maxSequenceLength)
        let dataset = try PairDataset.load(path: data, split: split)
        let options = batching.options
        let encodings = Evaluator.encode(dataset, tokenizer: folder.tokenizer, maxLength: batching.maxSeqLength)
        let batches = Evaluator.batches(encodings, options: options, padId: Int32(folder.model.config.padTokenId))
        let (runModel, runScheme, _) = try folder.model(for: modelScheme) {
            try calibration.batches(folder: folder, options: options, defaultData: data)
        }
        let bar = ProgressBar(label: "eval \(runScheme.name)")
        let result = try Evaluator.run(model: runModel, batches: batches,
                                       labels: dataset.isLabelled ? dataset.labels : nil,
                                       allowNonFinite: nonFinite.allowNonFinite, data: dataset, progress: bar.update)
        if let predictions {
            // The run folder's format (PredictionSet): non-finite logits as "NaN"/"Infinity"/"-Infinity".
            let set = PredictionSet(labels: dataset.examples.map(\.label), predictions: result.predictions,
                                    logits: result.logits)
            try AtomicFile.write(set.jsonLines(), to: predictions)
        }
        let summary: [String: Any] = [
            "model": model, "data": dataset.path, "examples": dataset.count,
            "f1": result.metrics.map { $0.f1 as Any } ?? NSNull(),
            "accuracy": result.metrics.map { $0.accuracy as Any } ?? NSNull(),
            "seconds": result.seconds, "threads": batching.threads, "blas_core": BLASRuntime.coreName,
            "batch_size": batching.batchSize, "max_seq_length": batching.maxSeqLength, "pad_to_max": batching.padToMax,
            "scheme": runScheme.name, "model_mb": Double(runModel.parameterBytes) / 1e6,
        ]
        if json {
            let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
        } else {
            if let m = result.metrics {
                print(String(format: "%@: F1 %.4f  accuracy %.4f  (%d examples)", runScheme.name, m.f1, m.accuracy,
                             dataset.count))
            } else {
                print("\(dataset.count) examples (unlabelled: no metrics)")
            }
            print(String(format: "%.2f s, %d thread(s), BLAS core %@", result.seconds, batching.threads, BLASRuntime.coreName))
        }
    }
}
