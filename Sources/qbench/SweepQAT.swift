import BERT
import Checkpoints
import Datasets
import Experiments
import Foundation
import TensorCore
import Training

/// Trains an experiment's `qat` rows for `qbench sweep` and `qbench reproduce` (Experiments does not link Training):
/// the same steps as `qbench qat` without per-epoch evaluation (the last epoch is kept), written as a quantized
/// folder that the sweep then loads and evaluates on the integer kernels.
struct SweepQAT: SweepQATTrainer {
    func train(_ entry: QATEntry, modelFolder: String, maxSeqLength: Int, threads: Int, output: URL,
               progress: SweepRunner.Progress?) throws -> QATTrainingReport {
        let saved = Parallel.threads
        Parallel.setThreads(threads)
        defer { Parallel.setThreads(saved) }
        let folder = try ModelFolder(path: modelFolder)
        guard folder.storedScheme == nil else {
            throw ExperimentError.invalid("\(modelFolder) is already quantized; QAT starts from an FP32 folder")
        }
        let spec = entry.spec
        let base = try ClassifierFolder.loadBase(folder: folder.url, seed: spec.seed)
        var data = try PairDataset.load(path: entry.dataPath, split: spec.split)
        guard data.isLabelled else {
            throw ExperimentError.invalid("\(data.path) has no labels; QAT row \(entry.name) needs labelled training pairs")
        }
        if spec.trainExamples > 0 { data = PairDataset(path: data.path, examples: Array(data.examples.prefix(spec.trainExamples))) }
        let examples = zip(Evaluator.encode(data, tokenizer: folder.tokenizer, maxLength: maxSeqLength), data.examples).map {
            TrainingExample(inputIds: $0.inputIds, tokenTypeIds: $0.tokenTypeIds, label: $1.label!)
        }
        let trainable = try TrainableBert<Float>(config: base.config, tensors: base.tensors, hiddenDropout: base.hiddenDropout,
                                                 attentionDropout: base.attentionDropout, name: modelFolder)
        try trainable.attachQuantization(entry.scheme)
        var options = FineTuneOptions()
        options.epochs = spec.epochs
        options.learningRate = spec.lr
        options.batchSize = spec.batchSize
        options.seed = spec.seed
        options.maxSeqLength = maxSeqLength
        try options.validate()
        let tuner = try FineTuner(model: trainable, options: options)
        let total = examples.count * spec.epochs
        tuner.onStep = { p in
            progress?("QAT \(entry.name) · epoch \(p.epoch)/\(spec.epochs) · loss " + String(format: "%.4f", p.meanLoss),
                      (p.epoch - 1) * p.examplesInEpoch + p.examplesDone, total)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try tuner.run(examples: examples, evaluate: nil)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let calibrations = trainable.calibrations()
        let trained = try BertModel.load(config: base.config, weights: InMemoryTensors(result.bestTensors), name: entry.name)
        try QuantizedCheckpoint.write(model: trained, scheme: entry.scheme, calibrations: calibrations,
                                      source: folder.url, to: output)
        return QATTrainingReport(epochs: spec.epochs, learningRate: spec.lr, batchSize: spec.batchSize, seed: spec.seed,
                                 examples: examples.count, threads: threads, seconds: seconds,
                                 finalLoss: result.epochs.last?.meanLoss ?? .nan, learnedRanges: calibrations.count)
    }
}
