import RealModule
/// Mean cross-entropy over a batch of logits (PyTorch `nn.CrossEntropyLoss()`, HF's single-label loss).
///
///     loss = −(1/B) Σ_b log softmax(z_b)[y_b]          dz_b = (softmax(z_b) − onehot(y_b)) / B
public enum CrossEntropy {
    /// Returns the loss (computed in Double) and writes `dLogits` `[batch, classes]`.
    /// - Precondition: every label is in `0..<classes`.
    public static func lossAndGradient<T: TrainingScalar>(logits: UnsafePointer<T>, labels: [Int], classes: Int,
                                                          dLogits: UnsafeMutablePointer<T>) -> Double {
        let batch = labels.count
        var total = 0.0
        for b in 0..<batch {
            precondition(labels[b] >= 0 && labels[b] < classes, "label \(labels[b]) outside 0..<\(classes)")
            let z = logits + b * classes
            var m = Double(z[0])
            for j in 1..<classes { m = max(m, Double(z[j])) }
            var sum = 0.0
            for j in 0..<classes { sum += Double.exp(Double(z[j]) - m) }
            let logSum = m + Double.log(sum)
            total += logSum - Double(z[labels[b]])
            for j in 0..<classes {
                let p = Double.exp(Double(z[j]) - logSum)
                dLogits[b * classes + j] = T((p - (j == labels[b] ? 1 : 0)) / Double(batch))
            }
        }
        return total / Double(batch)
    }
}
