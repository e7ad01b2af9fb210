import BERT
import Datasets
import Foundation
import TensorCore

/// Hyper-parameters of a fine-tuning run; the defaults are the reference PyTorch run's (HF Trainer, MRPC).
public struct FineTuneOptions: Codable, Sendable, Equatable {
    /// Passes over the training data.
    public var epochs: Int = 3
    /// Peak learning rate of the linear warm-up/decay schedule.
    public var learningRate: Double = 5e-5
    /// Examples per optimizer step.
    public var batchSize: Int = 16
    /// Seeds shuffling, dropout and any fresh classifier head.
    public var seed: UInt64 = 42
    /// Pair encodings are truncated (`longest_first`) to this many tokens; batches pad to their longest.
    public var maxSeqLength: Int = 128
    /// Fraction of all steps spent warming up.
    public var warmupRatio: Double = 0.1
    /// AdamW decoupled weight decay (not applied to biases and LayerNorm).
    public var weightDecay: Double = 0.01
    /// Global gradient-norm clipping threshold.
    public var maxGradNorm: Double = 1.0

    /// The reference run's settings.
    public init() {}

    enum CodingKeys: String, CodingKey {
        case epochs, learningRate = "learning_rate", batchSize = "batch_size", seed, maxSeqLength = "max_seq_length"
        case warmupRatio = "warmup_ratio", weightDecay = "weight_decay", maxGradNorm = "max_grad_norm"
    }

    /// - Throws: `TrainingError.badOption` naming the option.
    public func validate() throws {
        guard epochs >= 1 else { throw TrainingError.badOption(name: "epochs", reason: "must be at least 1, got \(epochs)") }
        guard learningRate > 0, learningRate.isFinite else {
            throw TrainingError.badOption(name: "lr", reason: "must be positive, got \(learningRate)")
        }
        guard batchSize >= 1 else { throw TrainingError.badOption(name: "batch-size", reason: "must be at least 1, got \(batchSize)") }
        guard maxSeqLength >= 3 else {
            throw TrainingError.badOption(name: "max-seq-length", reason: "must be at least 3, got \(maxSeqLength)")
        }
        guard (0..<1).contains(warmupRatio) else {
            throw TrainingError.badOption(name: "warmup-ratio", reason: "must be in [0, 1), got \(warmupRatio)")
        }
        guard weightDecay >= 0 else { throw TrainingError.badOption(name: "weight-decay", reason: "must be ≥ 0") }
        guard maxGradNorm > 0 else { throw TrainingError.badOption(name: "max-grad-norm", reason: "must be positive") }
    }
}

/// One labelled, tokenized training pair.
public struct TrainingExample: Sendable {
    /// `[CLS] a [SEP] b [SEP]` token ids, unpadded.
    public var inputIds: [Int32]
    /// Segment ids, same length.
    public var tokenTypeIds: [Int32]
    /// Gold class.
    public var label: Int
    /// One example.
    public init(inputIds: [Int32], tokenTypeIds: [Int32], label: Int) {
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
        self.label = label
    }
}

/// Where a run is, after each optimizer step (for progress bars).
public struct StepProgress: Sendable {
    /// 1-based epoch.
    public var epoch: Int
    /// Examples of this epoch done so far.
    public var examplesDone: Int
    public var examplesInEpoch: Int
    /// Optimizer steps taken in the run (1-based after the first).
    public var step: Int
    public var totalSteps: Int
    /// Mean loss over the epoch so far.
    public var meanLoss: Double
    /// Learning rate of the step just taken.
    public var learningRate: Double
}

/// What one epoch did.
public struct EpochReport: Codable, Sendable {
    /// 1-based.
    public var epoch: Int
    /// Mean training loss over the epoch.
    public var meanLoss: Double
    /// Training time of the epoch (evaluation excluded).
    public var seconds: Double
    public var examplesPerSecond: Double
    public var devF1: Double?
    public var devAccuracy: Double?
    /// Whether this epoch's weights are the best so far (highest dev F1; the latest when there is no dev set).
    public var isBest: Bool

    enum CodingKeys: String, CodingKey {
        case epoch, meanLoss = "mean_loss", seconds, examplesPerSecond = "examples_per_second", devF1 = "dev_f1"
        case devAccuracy = "dev_accuracy", isBest = "is_best"
    }
}

/// The training loop of `qbench finetune` and `qbench qat` (HF Trainer's, for a sequence classifier):
/// each epoch visits the examples in a seeded random order in batches padded to their longest sequence; each step
/// is forward (dropout on) → mean cross-entropy → backward → global-norm clipping → AdamW with the linear
/// warm-up/decay learning rate. After each epoch `evaluate` scores the model (e.g. dev F1) and the best weights
/// are kept in memory — nothing is written to disk here.
public final class FineTuner {
    /// The model being trained (in place).
    public let model: TrainableBert<Float>
    public let options: FineTuneOptions
    /// Called after every step.
    public var onStep: ((StepProgress) -> Void)?
    /// Called after every epoch (after evaluation).
    public var onEpoch: ((EpochReport) -> Void)?
    /// Called when an epoch's weights become the best so far (e.g. to snapshot QAT ranges with them).
    public var onBest: ((Int) -> Void)?
    /// The epoch being trained or evaluated (1-based; 0 before `run`).
    public private(set) var currentEpoch = 0

    /// - Throws: `TrainingError.badOption` for invalid options.
    public init(model: TrainableBert<Float>, options: FineTuneOptions) throws {
        try options.validate()
        self.model = model
        self.options = options
    }

    /// The result of `run`.
    public struct Result {
        /// Weights of the best epoch, FP32, by canonical name.
        public var bestTensors: [String: Tensor]
        /// 1-based.
        public var bestEpoch: Int
        public var epochs: [EpochReport]
    }

    /// Trains on `examples` for `options.epochs` epochs.
    /// - Parameter evaluate: scores the current model after each epoch (nil: keep the last epoch).
    /// - Throws: `TrainingError.badData` for no examples or labels outside the classifier's range,
    ///   `.diverged` for a non-finite loss; errors thrown by `evaluate`.
    public func run(examples: [TrainingExample],
                    evaluate: ((TrainableBert<Float>) throws -> ClassificationMetrics)?) throws -> Result {
        guard !examples.isEmpty else { throw TrainingError.badData(path: "training data", reason: "no examples") }
        if let bad = examples.first(where: { $0.label < 0 || $0.label >= model.config.numLabels }) {
            throw TrainingError.badData(path: "training data", reason: "label \(bad.label) outside 0..<\(model.config.numLabels)")
        }
        MemoryTuning.keepFreedMemory()
        let o = options
        let stepsPerEpoch = (examples.count + o.batchSize - 1) / o.batchSize
        let schedule = LearningRateSchedule(baseLR: o.learningRate, warmupRatio: o.warmupRatio,
                                            totalSteps: stepsPerEpoch * o.epochs)
        let optimizer = AdamW(parameters: model.parameters, weightDecay: o.weightDecay)
        let padId = Int32(model.config.padTokenId)
        var step = 0
        var reports: [EpochReport] = []
        var best: (epoch: Int, f1: Double, tensors: [String: Tensor])? = nil
        for epoch in 0..<o.epochs {
            currentEpoch = epoch + 1
            let order = SeededShuffle.permutation(count: examples.count, seed: o.seed, epoch: epoch)
            let start = DispatchTime.now().uptimeNanoseconds
            var lossSum = 0.0, done = 0
            for s in stride(from: 0, to: order.count, by: o.batchSize) {
                let chunk = order[s..<min(order.count, s + o.batchSize)].map { examples[$0] }
                let batch = BertBatch(sequences: chunk.map { ($0.inputIds, $0.tokenTypeIds) }, padId: padId)
                model.zeroGradients()
                let pass = try model.forward(batch, mode: .train(seed: SeedMixer.derive(o.seed, 0x5354_4550, UInt64(step))))
                let loss = model.backward(pass, labels: chunk.map(\.label))
                guard loss.isFinite else { throw TrainingError.diverged(step: step, reason: "loss is \(loss)") }
                let norm = GradientClipping.clip(model.parameters, maxNorm: o.maxGradNorm)
                guard norm.isFinite else { throw TrainingError.diverged(step: step, reason: "gradient norm is \(norm)") }
                let lr = schedule.lr(atStep: step)
                optimizer.update(lr: lr)
                step += 1
                lossSum += loss * Double(chunk.count)
                done += chunk.count
                onStep?(StepProgress(epoch: epoch + 1, examplesDone: done, examplesInEpoch: examples.count, step: step,
                                     totalSteps: schedule.totalSteps, meanLoss: lossSum / Double(done), learningRate: lr))
            }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let metrics = try evaluate?(model)
            let f1 = metrics?.f1 ?? Double(epoch)
            let isBest = best == nil || f1 > best!.f1
            if isBest {
                best = (epoch + 1, f1, model.tensors())
                onBest?(epoch + 1)
            }
            let report = EpochReport(epoch: epoch + 1, meanLoss: lossSum / Double(done), seconds: seconds,
                                     examplesPerSecond: Double(done) / seconds, devF1: metrics?.f1,
                                     devAccuracy: metrics?.accuracy, isBest: isBest)
            reports.append(report)
            onEpoch?(report)
        }
        return Result(bestTensors: best!.tensors, bestEpoch: best!.epoch, epochs: reports)
    }
}
