/// The exact McNemar test of two classifiers on the same labelled examples: do they err on different examples more
/// often in one direction than chance allows?
///
/// Only the discordant examples count: `b` = the reference is right and the candidate wrong, `c` = the reverse.
/// Under the null hypothesis (both equally accurate) each discordant example goes either way with probability ½, so
/// `b ~ Bin(b + c, ½)` and the two-sided exact p-value is `p = min(1, 2·P[X ≤ min(b, c)])`, `X ~ Bin(b + c, ½)`;
/// `p = 1` when `b + c = 0`. This is `statsmodels.stats.contingency_tables.mcnemar(table, exact=True)` and
/// `scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue`.
public struct McNemarTest: Sendable, Equatable {
    /// Examples the reference classifies correctly and the candidate does not.
    public var referenceOnlyCorrect: Int
    /// Examples the candidate classifies correctly and the reference does not.
    public var candidateOnlyCorrect: Int
    /// The two-sided exact p-value.
    public var pValue: Double { Self.exactPValue(b: referenceOnlyCorrect, c: candidateOnlyCorrect) }

    /// Counts the discordant examples. Positive means `== 1`, as in `ClassificationMetrics`.
    /// - Precondition: the three arrays have the same length.
    public init(labels: [Int], reference: [Int], candidate: [Int]) {
        precondition(labels.count == reference.count && labels.count == candidate.count,
                     "McNemarTest: \(labels.count) labels, \(reference.count) and \(candidate.count) predictions")
        var b = 0, c = 0
        for i in labels.indices {
            let truth = labels[i] == 1
            switch (truth == (reference[i] == 1), truth == (candidate[i] == 1)) {
            case (true, false): b += 1
            case (false, true): c += 1
            default: break
            }
        }
        referenceOnlyCorrect = b
        candidateOnlyCorrect = c
    }

    public init(referenceOnlyCorrect b: Int, candidateOnlyCorrect c: Int) {
        referenceOnlyCorrect = b
        candidateOnlyCorrect = c
    }

    /// `min(1, 2·P[X ≤ min(b, c)])` with `X ~ Bin(b + c, ½)`; 1 when `b + c = 0`. Symmetric in `b` and `c`.
    ///
    /// Computed as `2^-n · Σ_{i ≤ k} C(n, i)` with `C(n, i) = C(n, i−1)·(n − i + 1)/i` in `Double`, the running sum
    /// rescaled by an exact 2^-512 whenever it grows past 2^512 (so no `n` overflows) and the power of two applied
    /// at the end: basic IEEE operations only, in a fixed order, hence the same bits on every machine. Exact while
    /// the binomial coefficients fit in 53 bits (`n` up to about 55), and to a few ulps beyond.
    /// - Precondition: `b, c ≥ 0`.
    public static func exactPValue(b: Int, c: Int) -> Double {
        precondition(b >= 0 && c >= 0, "McNemarTest: negative discordant counts \(b), \(c)")
        let n = b + c, k = min(b, c)
        guard n > 0 else { return 1 }
        var term = 1.0, sum = 1.0, exponent = -n
        if k > 0 {
            for i in 1...k {
                term = term * Double(n - i + 1) / Double(i)
                sum += term
                if sum > 0x1p512 {
                    term *= 0x1p-512
                    sum *= 0x1p-512
                    exponent += 512
                }
            }
        }
        return min(1, 2 * Double(sign: .plus, exponent: exponent, significand: sum))
    }
}
