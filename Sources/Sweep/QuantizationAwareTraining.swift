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
        /// NaN/±Inf weights were allowed; evaluations then keep non-finite logits too.
        public let allowNonFinite: Bool
    }

    /// Opens the FP32 folder `modelFolder` and attaches `scheme` to a trainable copy (a classifier head missing
    /// from the folder is initialised from `seed`, see `base.freshlyInitialized`).
    /// - Throws: `ExperimentError.invalid` for a quantized folder or a scheme that quantizes nothing.
    /// - Parameter allowNonFinite: load weights holding NaN or ±Inf (refused otherwise, naming the tensor).
    public static func prepare(modelFolder: String, scheme: ModelScheme, seed: UInt64,
                               allowNonFinite: Bool = false) throws -> Setup {
        guard !scheme.layerSchemes.isEmpty else {
            throw ExperimentError.invalid("scheme \(scheme.name) quantizes nothing; QAT needs a quantized scheme")
        }
        guard scheme.smoothQuant == nil else {
            throw ExperimentError.invalid("scheme \(scheme.name) applies SmoothQuant, which QAT does not train yet; "
                                          + "use its base scheme for QAT")
        }
        let folder = try ModelFolder(path: modelFolder, allowNonFinite: allowNonFinite)
        try folder.checkBinaryClassifier()
        guard folder.storedScheme == nil else {
            throw ExperimentError.invalid("\(modelFolder) is already quantized; QAT starts from an FP32 folder")
        }
        let base = try ClassifierFolder.loadBase(folder: folder.url, seed: seed, allowNonFinite: allowNonFinite)
        let trainable = try TrainableBert<Float>(config: base.config, tensors: base.tensors, hiddenDropout: base.hiddenDropout,
                                                 attentionDropout: base.attentionDropout,
                                                 classifierDropout: base.classifierDropout, name: modelFolder)
        try trainable.attachQuantization(scheme)
        return Setup(folder: folder, base: base, trainable: trainable, scheme: scheme, allowNonFinite: allowNonFinite)
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
    ///   - allowNonFinite: load weights holding NaN or ±Inf.
    public static func trainRow(_ entry: QATEntry, modelFolder: String, maxSeqLength: Int, threads: Int, output: URL,
                                allowNonFinite: Bool = false, progress: SweepRunner.Progress?) throws -> QATTrainingReport {
        let saved = Parallel.threads
        Parallel.setThreads(threads)
        defer { Parallel.setThreads(saved) }
        let spec = entry.spec
        let setup = try prepare(modelFolder: modelFolder, scheme: entry.scheme, seed: spec.seed, allowNonFinite: allowNonFinite)
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

extension QuantizationAwareTraining {
    /// What `qbench qat` trains.
    public struct Request {
        public var model: String
        public var scheme: ModelScheme
        /// The quantized folder to write (must not exist).
        public var output: URL
        /// Tokenized training pairs (read from `trainingData`); the first `calibrationExamples` also calibrate the
        /// post-training baseline.
        public var examples: [TrainingExample]
        public var trainingData: String
        public var calibrationExamples: Int
        /// The evaluation split (its name, gold labels and batches), evaluated after every epoch; nil = none.
        public var evaluation: (split: String, labels: [Int], batches: [BertBatch])?
        public var options: FineTuneOptions

        public init(model: String, scheme: ModelScheme, output: URL, examples: [TrainingExample], trainingData: String,
                    calibrationExamples: Int, evaluation: (split: String, labels: [Int], batches: [BertBatch])?,
                    options: FineTuneOptions) {
            self.model = model
            self.scheme = scheme
            self.output = output
            self.examples = examples
            self.trainingData = trainingData
            self.calibrationExamples = calibrationExamples
            self.evaluation = evaluation
            self.options = options
        }
    }

    /// One row of the comparison table on the evaluation split.
    public struct Row {
        public var name: String
        public var f1: Double
        public var accuracy: Double
        /// Predictions that differ from FP32's (nil when unknown).
        public var flips: Int?
    }

    /// What `run` did: the table rows (FP32, post-training, QAT's best epoch) and the learned ranges written.
    public struct Report {
        public var rows: [Row]
        public var learnedRanges: Int
    }

    /// Trains `request`: FP32 and post-training rows on the evaluation split first, then QAT with every epoch
    /// evaluated on the integer kernels (ranges learned so far); the best epoch is written as a quantized folder.
    /// - Parameters:
    ///   - prepared: the set-up from `prepare` (the caller may report `base.freshlyInitialized` first).
    ///   - configure: attach progress callbacks to the tuner before training starts.
    ///   - log: one line at a time (baselines, the training plan, flips per epoch).
    ///   - evaluation: progress of each evaluation pass: `(label, done, total)`, label "eval fp32",
    ///     "eval post-training" or "eval <scheme>".
    public static func run(_ request: Request, prepared setup: Setup, configure: (FineTuner) -> Void = { _ in },
                           evaluation progress: SweepRunner.Progress? = nil,
                           log: @escaping (String) -> Void) throws -> Report {
        func evaluating(_ label: String) -> ((Int, Int) -> Void)? { progress.map { p in { p(label, $0, $1) } } }
        let folder = setup.folder
        let scheme = request.scheme
        let padId = Int32(setup.base.config.padTokenId)
        var fp32Predictions: [Int]? = nil
        var rows: [Row] = []
        if let dev = request.evaluation {
            let fp32 = try Evaluator.run(model: folder.model, batches: dev.batches, labels: dev.labels,
                                         allowNonFinite: setup.allowNonFinite,
                                         progress: evaluating("eval fp32"))
            fp32Predictions = fp32.predictions
            rows.append(Row(name: "FP32", f1: fp32.metrics!.f1, accuracy: fp32.metrics!.accuracy, flips: 0))
            let calibration = Array(request.examples.prefix(request.calibrationExamples))
            let calBatches = stride(from: 0, to: calibration.count, by: 8).map { s in
                BertBatch(sequences: calibration[s..<min(calibration.count, s + 8)].map { ($0.inputIds, $0.tokenTypeIds) }, padId: padId)
            }
            let ptq = try ModelQuantization.apply(scheme, to: folder.model, calibration: calBatches)
            let r = try Evaluator.run(model: ptq, batches: dev.batches, labels: dev.labels,
                                      allowNonFinite: setup.allowNonFinite,
                                      progress: evaluating("eval post-training"))
            let flips = flipCount(r.predictions, fp32.predictions)
            rows.append(Row(name: "post-training \(scheme.name)", f1: r.metrics!.f1, accuracy: r.metrics!.accuracy, flips: flips))
            log(String(format: "FP32: %@ F1 %.4f; post-training %@: F1 %.4f, %d flips vs FP32", dev.split,
                       fp32.metrics!.f1, scheme.name, r.metrics!.f1, flips))
        }
        let options = request.options
        log("quantization-aware training of \(request.model) with \(scheme.name) on \(request.examples.count) pairs of \(request.trainingData): "
            + "\(options.epochs) epoch(s), lr \(options.learningRate), batch \(options.batchSize), seed \(options.seed)")
        let trainable = setup.trainable
        let tuner = try FineTuner(model: trainable, options: options)
        configure(tuner)
        var epochFlips: [Int: Int] = [:]
        var bestCalibrations = trainable.calibrations()
        tuner.onBest = { _ in bestCalibrations = trainable.calibrations() }
        let reportEpoch = tuner.onEpoch
        tuner.onEpoch = { r in
            reportEpoch?(r)
            if let f = epochFlips[r.epoch] { log("  \(f) flips vs FP32 on the integer kernels") }
        }
        let result = try tuner.run(examples: request.examples, evaluate: request.evaluation.map { dev in
            { model in
                let integer = try ModelQuantization.apply(scheme, to: model.engineModel(source: "qat"),
                                                          calibrations: model.calibrations())
                let r = try Evaluator.run(model: integer, batches: dev.batches, labels: dev.labels,
                                          allowNonFinite: setup.allowNonFinite,
                                          progress: evaluating("eval \(scheme.name)"))
                if let fp32Predictions { epochFlips[tuner.currentEpoch] = flipCount(r.predictions, fp32Predictions) }
                return r.metrics!
            }
        })
        try writeQuantized(setup, tensors: result.bestTensors, calibrations: bestCalibrations, name: request.model,
                           to: request.output)
        let best = result.epochs[result.bestEpoch - 1]
        if let f1 = best.devF1, let acc = best.devAccuracy {
            rows.append(Row(name: "QAT \(scheme.name) (epoch \(result.bestEpoch))", f1: f1, accuracy: acc,
                            flips: epochFlips[result.bestEpoch]))
        }
        return Report(rows: rows, learnedRanges: bestCalibrations.count)
    }

    static func flipCount(_ a: [Int], _ b: [Int]) -> Int { zip(a, b).filter { $0 != $1 }.count }
}
