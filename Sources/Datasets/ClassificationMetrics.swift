/// Binary classification metrics as GLUE reports them for MRPC (sklearn `f1_score`, `accuracy_score`).
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    /// F1 of the positive class (label 1): 2·TP / (2·TP + FP + FN); 0 when TP + FP + FN = 0.
    public var f1: Double
    /// Fraction of predictions equal to the label.
    public var accuracy: Double
    public var truePositives: Int
    public var falsePositives: Int
    public var falseNegatives: Int
    public var trueNegatives: Int
    public var count: Int { truePositives + falsePositives + falseNegatives + trueNegatives }

    /// - Precondition: `predictions.count == labels.count`, values 0 or 1.
    public init(predictions: [Int], labels: [Int]) {
        precondition(predictions.count == labels.count, "metrics: \(predictions.count) predictions, \(labels.count) labels")
        var tp = 0, fp = 0, fn = 0, tn = 0
        for (p, l) in zip(predictions, labels) {
            switch (p == 1, l == 1) {
            case (true, true): tp += 1
            case (true, false): fp += 1
            case (false, true): fn += 1
            case (false, false): tn += 1
            }
        }
        truePositives = tp; falsePositives = fp; falseNegatives = fn; trueNegatives = tn
        let denom = 2 * tp + fp + fn
        f1 = denom == 0 ? 0 : Double(2 * tp) / Double(denom)
        accuracy = predictions.isEmpty ? 0 : Double(tp + tn) / Double(predictions.count)
    }
}
