import BERT
import Datasets
import Foundation
import RunRecords
import TensorCore
import Tokenization

/// The result of running a classifier over a data set.
public struct EvalResult: Sendable {
    /// `[examples][numLabels]` logits in data-set order.
    public var logits: [[Float]]
    /// argmax of each row of `logits` (ties → lower index, like `torch.argmax`).
    public var predictions: [Int]
    /// F1/accuracy when the data set is labelled.
    public var metrics: ClassificationMetrics?
    /// Wall time of tokenization excluded, forward passes included.
    public var seconds: Double
}

/// Tokenizes a pair data set, runs a `BertModel` over it batch by batch and scores the predictions.
public enum Evaluator {
    /// Encodes every example with the tokenizer's special tokens (`[CLS] a [SEP] b [SEP]`, `<s> a </s></s> b </s>`,
    /// …), truncated `longest_first` to `maxLength`.
    public static func encode(_ data: PairDataset, tokenizer: any PairTokenizer, maxLength: Int) -> [Encoding] {
        data.examples.map { tokenizer.encodePair($0.textA, $0.textB, maxLength: maxLength) }
    }

    /// The batches of `encodings`, in order.
    public static func batches(_ encodings: [Encoding], options: BatchingOptions, padId: Int32) -> [BertBatch] {
        stride(from: 0, to: encodings.count, by: max(1, options.batchSize)).map { start in
            let chunk = encodings[start..<min(encodings.count, start + max(1, options.batchSize))]
            return BertBatch(sequences: chunk.map { ($0.inputIds, $0.tokenTypeIds) },
                             padTo: options.padToMax ? options.maxSeqLength : nil, padId: padId)
        }
    }

    /// Runs the model over prepared batches.
    /// - Parameters:
    ///   - labels: gold labels for metrics, or nil.
    ///   - allowNonFinite: keep logits that hold NaN or ±Inf; otherwise the first such example throws
    ///     `ExperimentError.nonFiniteOutput` (naming `data`'s file and line when given: the examples the batches
    ///     were made from, in order).
    ///   - progress: called after each batch with (examples done, total).
    public static func run(model: BertModel, batches: [BertBatch], labels: [Int]?, tap: (any ActivationTap)? = nil,
                           allowNonFinite: Bool = false, data: PairDataset? = nil,
                           progress: ((Int, Int) -> Void)? = nil) throws -> EvalResult {
        let total = batches.reduce(0) { $0 + $1.batch }
        var logits: [[Float]] = []
        logits.reserveCapacity(total)
        let start = DispatchTime.now().uptimeNanoseconds
        for batch in batches {
            let out = try model.forward(batch, tap: tap)
            let L = out.logits.shape[1]
            for b in 0..<batch.batch {
                let row = Array(out.logits.data[(b * L)..<((b + 1) * L)])
                if !allowNonFinite, let bad = row.first(where: { !$0.isFinite }) {
                    throw nonFinite(example: logits.count, value: bad, data: data)
                }
                logits.append(row)
            }
            progress?(logits.count, total)
        }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
        let predictions = logits.map(argmax)
        let metrics = labels.map { ClassificationMetrics(predictions: predictions, labels: $0) }
        return EvalResult(logits: logits, predictions: predictions, metrics: metrics, seconds: seconds)
    }

    /// The error for example `example` (0-based, in batch order) of `data`.
    public static func nonFinite(example: Int, value: Float, data: PairDataset?) -> ExperimentError {
        let ex = data.flatMap { example < $0.examples.count ? $0.examples[example] : nil }
        return .nonFiniteOutput(data: data?.path, example: ex?.index ?? example, line: ex?.line, value: value)
    }

    /// Refuses a classifier whose label count is not 2 before it scores binary pair data (MRPC/MSRP labels are
    /// 0/1): `config.json`'s `num_labels` (or the size of `id2label`) must be 2.
    /// - Throws: `ExperimentError.config` naming `configFile` and the key.
    public static func checkBinaryClassifier(_ config: BertConfiguration, configFile: String) throws {
        guard config.numLabels != 2 else { return }
        let key = config.id2label.map { $0.count == config.numLabels } == true ? "id2label" : "num_labels"
        throw ExperimentError.config(file: configFile, keyPath: key, line: nil,
                                     message: "the classifier has \(config.numLabels) label(s), but the data's labels "
                                         + "are binary (0/1); expected 2")
    }

    /// Index of the largest value; the first one on ties.
    public static func argmax(_ row: [Float]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }
}
