import Foundation
import Quantization

/// A quantization-aware-training row of an experiment (`qat:` list): fine-tune the experiment's FP32 model with
/// the scheme fake-quantized (straight-through estimator), then evaluate the result on the integer kernels like
/// every other scheme. The row is named `<scheme>+qat`.
///
///     qat:
///       - scheme: q8bert-static      # registered name or inline scheme; must quantize something
///         epochs: 1                  # default 1
///         lr: 2.0e-5                 # peak learning rate (linear warm-up 10%, linear decay); default 2e-5
///         batch_size: 16             # default 16
///         seed: 42                   # shuffling and dropout; default 42
///         train_examples: 0          # first N training pairs (0 = all)
///         data: data/glue/MRPC       # default: calibration.data, else data.path
///         split: train               # default train
///
/// The last epoch is kept (no model selection on the evaluation split), and training runs at the experiment's
/// largest thread count.
public struct QATSpec: Codable, Equatable, Sendable {
    public var scheme: SchemeEntry
    public var epochs: Int = 1
    public var lr: Double = 2e-5
    public var batchSize: Int = 16
    public var seed: UInt64 = 42
    public var trainExamples: Int = 0
    public var data: String?
    public var split: String = "train"

    public init(scheme: SchemeEntry, epochs: Int = 1, lr: Double = 2e-5, batchSize: Int = 16, seed: UInt64 = 42,
                trainExamples: Int = 0, data: String? = nil, split: String = "train") {
        self.scheme = scheme
        self.epochs = epochs
        self.lr = lr
        self.batchSize = batchSize
        self.seed = seed
        self.trainExamples = trainExamples
        self.data = data
        self.split = split
    }

    enum CodingKeys: String, CodingKey {
        case scheme, epochs, lr, seed, data, split
        case batchSize = "batch_size"
        case trainExamples = "train_examples"
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        scheme = try c.decode(SchemeEntry.self, forKey: .scheme)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? 1
        lr = try c.decodeIfPresent(Double.self, forKey: .lr) ?? 2e-5
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 16
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 42
        trainExamples = try c.decodeIfPresent(Int.self, forKey: .trainExamples) ?? 0
        data = try c.decodeIfPresent(String.self, forKey: .data)
        split = try c.decodeIfPresent(String.self, forKey: .split) ?? "train"
    }
}

/// What a QAT run reports back to the sweep (recorded in `results.json` as the row's `training`).
public struct QATTrainingReport: Codable, Equatable, Sendable {
    public var epochs: Int
    public var learningRate: Double
    public var batchSize: Int
    public var seed: UInt64
    /// Training pairs per epoch.
    public var examples: Int
    public var threads: Int
    public var seconds: Double
    /// Mean training loss of the last epoch.
    public var finalLoss: Double
    /// Layers whose learned static ranges became the integer model's ranges.
    public var learnedRanges: Int

    public init(epochs: Int, learningRate: Double, batchSize: Int, seed: UInt64, examples: Int, threads: Int,
                seconds: Double, finalLoss: Double, learnedRanges: Int) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.seed = seed
        self.examples = examples
        self.threads = threads
        self.seconds = seconds
        self.finalLoss = finalLoss
        self.learnedRanges = learnedRanges
    }

    enum CodingKeys: String, CodingKey {
        case epochs, seed, examples, threads, seconds
        case learningRate = "learning_rate"
        case batchSize = "batch_size"
        case finalLoss = "final_loss"
        case learnedRanges = "learned_ranges"
    }
}

