import BERT
import Datasets
import Experiments
import Foundation
import Quantization
import RunRecords
import TensorCore
import Training

/// Quantization-aware training of an FP32 classifier folder (`qbench qat`, and a sweep's `qat` rows): the model
/// is fine-tuned with `scheme` fake-quantized (`TrainableBert.attachQuantization`, straight-through estimator),
/// then written as a quantized folder (codes, scales, the learned static ranges) that `ModelFolder` loads onto
/// the integer kernels.
public enum QuantizationAwareTraining {
    /// A model ready to train: the folder it came from, its weights, and the trainable copy with `scheme` attached.
    public struct Setup {
        public let folder: ModelFolder
        public let base: ClassifierFolder.BaseModel
        public let trainable: TrainableBert<Float>
        public let scheme: ModelScheme
    }

    /// Opens the FP32 folder `modelFolder` and attaches `scheme` to a trainable copy (a classifier head missing
    /// from the folder is initialised from `seed`, see `base.freshlyInitialized`).
    /// - Throws: `ExperimentError.invalid` for a quantized folder or a scheme that quantizes nothing.
    public static func prepare(modelFolder: String, scheme: ModelScheme, seed: UInt64) throws -> Setup {
        guard !scheme.layerSchemes.isEmpty else {
            throw ExperimentError.invalid("scheme \(scheme.name) quantizes nothing; QAT needs a quantized scheme")
        }
        let folder = try ModelFolder(path: modelFolder)
        guard folder.storedScheme == nil else {
            throw ExperimentError.invalid("\(modelFolder) is already quantized; QAT starts from an FP32 folder")
        }
        let base = try ClassifierFolder.loadBase(folder: folder.url, seed: seed)
        let trainable = try TrainableBert<Float>(config: base.config, tensors: base.tensors, hiddenDropout: base.hiddenDropout,
                                                 attentionDropout: base.attentionDropout, name: modelFolder)
        try trainable.attachQuantization(scheme)
        return Setup(folder: folder, base: base, trainable: trainable, scheme: scheme)
    }

    /// Writes `tensors` (trained weights of `setup`) with the learned `calibrations` as a quantized folder `out`.
    public static func writeQuantized(_ setup: Setup, tensors: [String: Tensor], calibrations: [String: Calibration],
                                      name: String, to out: URL) throws {
        let trained = try BertModel.load(config: setup.base.config, weights: InMemoryTensors(tensors), name: name)
        try QuantizedCheckpoint.write(model: trained, scheme: setup.scheme, calibrations: calibrations,
                                      source: setup.folder.url, to: out)
    }

    /// Trains a sweep's QAT row from the FP32 folder `modelFolder` and writes the quantized folder `output`: the same
    /// steps as `qbench qat` without per-epoch evaluation (the last epoch is kept); evaluation is the sweep's job.
    /// - Parameters:
    ///   - maxSeqLength: truncation length of the training pairs (the experiment's batching).
    ///   - threads: threads for training.
    public static func trainRow(_ entry: QATEntry, modelFolder: String, maxSeqLength: Int, threads: Int, output: URL,
                                progress: SweepRunner.Progress?) throws -> QATTrainingReport {
        let saved = Parallel.threads
        Parallel.setThreads(threads)
        defer { Parallel.setThreads(saved) }
        let spec = entry.spec
        let setup = try prepare(modelFolder: modelFolder, scheme: entry.scheme, seed: spec.seed)
        var data = try PairDataset.load(path: entry.dataPath, split: spec.split)
        guard data.isLabelled else {
            throw ExperimentError.invalid("\(data.path) has no labels; QAT row \(entry.name) needs labelled training pairs")
        }
        if spec.trainExamples > 0 { data = PairDataset(path: data.path, examples: Array(data.examples.prefix(spec.trainExamples))) }
        let examples = zip(Evaluator.encode(data, tokenizer: setup.folder.tokenizer, maxLength: maxSeqLength), data.examples).map {
            TrainingExample(inputIds: $0.inputIds, tokenTypeIds: $0.tokenTypeIds, label: $1.label!)
        }
        var options = FineTuneOptions()
        options.epochs = spec.epochs
        options.learningRate = spec.lr
        options.batchSize = spec.batchSize
        options.seed = spec.seed
        options.maxSeqLength = maxSeqLength
        try options.validate()
        let tuner = try FineTuner(model: setup.trainable, options: options)
        let total = examples.count * spec.epochs
        tuner.onStep = { p in
            progress?("QAT \(entry.name) · epoch \(p.epoch)/\(spec.epochs) · loss " + String(format: "%.4f", p.meanLoss),
                      (p.epoch - 1) * p.examplesInEpoch + p.examplesDone, total)
        }
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try tuner.run(examples: examples, evaluate: nil)
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let calibrations = setup.trainable.calibrations()
        try writeQuantized(setup, tensors: result.bestTensors, calibrations: calibrations, name: entry.name, to: output)
        return QATTrainingReport(epochs: spec.epochs, learningRate: spec.lr, batchSize: spec.batchSize, seed: spec.seed,
                                 examples: examples.count, threads: threads, seconds: seconds,
                                 finalLoss: result.epochs.last?.meanLoss ?? .nan, learnedRanges: calibrations.count)
    }
}
