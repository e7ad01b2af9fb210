import ArgumentParser
import BERT
import Datasets
import Experiments
import Foundation
import RunRecords
import TensorCore
import Tokenization
import Training

/// Options `qbench finetune` and `qbench qat` share: data, hyper-parameters, threads.
struct TrainingArguments: ParsableArguments {
    @Option(help: "GLUE task folder (train.tsv, dev.tsv) or a training TSV file.")
    var data: String = "data/glue/MRPC"
    @Option(help: "Split to evaluate after each epoch (task folders only; \"none\" to skip).")
    var evalSplit: String = "dev"
    @Option(help: "Epochs (default: 3 for finetune, 2 for qat).")
    var epochs: Int?
    @Option(help: "Peak learning rate, linear warm-up then linear decay to 0 (default: 5e-5 for finetune, 2e-5 for qat).")
    var lr: Double?
    @Option(help: "Examples per optimizer step.")
    var batchSize: Int = 16
    @Option(help: "Seed for shuffling, dropout and a fresh classifier head.")
    var seed: UInt64 = 42
    @Option(help: "Maximum tokens per pair (longest_first truncation).")
    var maxSeqLength: Int = 128
    @Option(help: "Fraction of steps spent warming up.")
    var warmupRatio: Double = 0.1
    @Option(help: "AdamW weight decay (not on biases and LayerNorm).")
    var weightDecay: Double = 0.01
    @Option(help: "Clip gradients to this global L2 norm.")
    var maxGradNorm: Double = 1.0
    @Option(help: "Train on the first N training examples only (quick runs and timing).")
    var trainExamples: Int?
    @Option(help: "Threads for the engine and OpenBLAS (default: all cores).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    /// The hyper-parameters, with the command's defaults for epochs and learning rate.
    func options(defaultEpochs: Int, defaultLR: Double) -> FineTuneOptions {
        var o = FineTuneOptions()
        o.epochs = epochs ?? defaultEpochs
        o.learningRate = lr ?? defaultLR
        o.batchSize = batchSize
        o.seed = seed
        o.maxSeqLength = maxSeqLength
        o.warmupRatio = warmupRatio
        o.weightDecay = weightDecay
        o.maxGradNorm = maxGradNorm
        return o
    }

    func validate() throws {
        if let problem = Limits.threadsProblem(threads) { throw ValidationError("--threads \(problem)") }
        if let n = trainExamples, n < 1 { throw ValidationError("--train-examples must be at least 1") }
        try options(defaultEpochs: 1, defaultLR: 1e-5).validate()
    }

    /// The tokenized training examples (train split of a task folder, or the TSV itself).
    func trainingExamples(tokenizer: any PairTokenizer) throws -> (PairDataset, [TrainingExample]) {
        var train = try PairDataset.load(path: data, split: "train")
        guard train.isLabelled else {
            throw ValidationError("\(train.path) has no labels (an unlabelled test file?); training needs labels")
        }
        if let n = trainExamples { train = PairDataset(path: train.path, examples: Array(train.examples.prefix(n))) }
        let encodings = Evaluator.encode(train, tokenizer: tokenizer, maxLength: maxSeqLength)
        let examples = zip(encodings, train.examples).map {
            TrainingExample(inputIds: $0.inputIds, tokenTypeIds: $0.tokenTypeIds, label: $1.label!)
        }
        return (train, examples)
    }

    /// Evaluation batches of the `--eval-split` of a task folder, or nil (a TSV file, or `none`).
    func evaluationSet(tokenizer: any PairTokenizer, padId: Int32) throws -> (PairDataset, [BertBatch])? {
        var isDir: ObjCBool = false
        guard evalSplit != "none", FileManager.default.fileExists(atPath: data, isDirectory: &isDir), isDir.boolValue else {
            return nil
        }
        let dev = try PairDataset.load(path: data, split: evalSplit)
        guard dev.isLabelled else { throw ValidationError("\(dev.path) has no labels; choose another --eval-split") }
        let options = BatchingOptions(batchSize: 32, maxSeqLength: maxSeqLength, padToMax: false)
        return (dev, Evaluator.batches(Evaluator.encode(dev, tokenizer: tokenizer, maxLength: maxSeqLength),
                                       options: options, padId: padId))
    }

    /// Progress bars per epoch and one summary line per epoch on stdout.
    func attachProgress(to tuner: FineTuner) {
        var bar: ProgressBar? = nil
        tuner.onStep = { p in
            if p.examplesDone <= tuner.options.batchSize { bar = ProgressBar(label: "epoch \(p.epoch)/\(tuner.options.epochs)") }
            bar?.update(p.examplesDone, p.examplesInEpoch, detail: String(format: "loss %.4f", p.meanLoss))
        }
        tuner.onEpoch = { r in
            var line = String(format: "epoch %d/%d: loss %.4f, %.1f s (%.1f examples/s)", r.epoch, tuner.options.epochs,
                              r.meanLoss, r.seconds, r.examplesPerSecond)
            if let f1 = r.devF1, let acc = r.devAccuracy {
                line += String(format: ", %@ F1 %.4f accuracy %.4f", evalSplit, f1, acc)
            }
            if r.isBest { line += "  (best so far)" }
            print(line)
            fflush(stdout)
        }
    }
}
