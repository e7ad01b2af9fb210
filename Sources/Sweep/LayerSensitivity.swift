import Quantization
import RunRecords

/// Ranks a scheme's units (`FallbackScheme.units`) by measured sensitivity on the deciding split, most sensitive
/// first. Both rankings take one pass over the deciding split per unit.
///
/// - `disable-only` (INC `basic`'s "fallback op one by one", OpenVINO AccuracyAwareQuantization's layer-wise
///   ranking): the full scheme with only unit U reverted to FP32;
///   `score(U) = metric(full scheme, U reverted) − metric(full scheme)`. It measures what reverting U buys in the
///   scheme as it will run, but it moves in steps of one example's worth of F1, so on a few hundred examples many
///   units tie: ties go to the smaller logit MSE against FP32 of the same pass (reverting U brings the logits closer),
///   then to model order.
/// - `logit-mse` (INC's `mse` strategy): only U quantized, every other unit FP32;
///   `score(U) = mean_{examples, classes} (logit − logit_FP32)²`. Continuous, so it rarely ties, but it measures U's
///   own error alone, not its interaction with the other quantized layers. Ties go to model order.
enum LayerSensitivity {
    static func rank(_ units: [String], base: ModelScheme, by ranking: Recommendation.Ranking,
                     metric: Recommendation.Metric, session: Recommender.Session,
                     progress: Recommender.Progress?) throws -> [Recommendation.Sensitivity] {
        var full: Double?
        if ranking == .disableOnly {
            let r = try session.decide(try session.model(base), label: "ranking: \(base.name)", progress: progress)
            full = metric.of(r.metrics!)
        }
        var measured: [(position: Int, sensitivity: Recommendation.Sensitivity)] = []
        for (i, unit) in units.enumerated() {
            let scheme: ModelScheme
            switch ranking {
            case .disableOnly: scheme = FallbackScheme.reverting([unit], in: base, to: nil)
            case .logitMSE: scheme = FallbackScheme.reverting(units.filter { $0 != unit }, in: base, to: nil)
            }
            let r = try session.decide(try session.model(scheme), label: "ranking \(i + 1)/\(units.count): \(unit)",
                                       progress: progress)
            let mse = session.logitMSE(r.logits)
            let score = full.map { metric.of(r.metrics!) - $0 } ?? mse
            measured.append((i, .init(unit: unit, score: score, deciding: r.metrics!, logitMSE: mse)))
        }
        measured.sort { a, b in
            if a.sensitivity.score != b.sensitivity.score { return a.sensitivity.score > b.sensitivity.score }
            if ranking == .disableOnly, a.sensitivity.logitMSE != b.sensitivity.logitMSE {
                return a.sensitivity.logitMSE < b.sensitivity.logitMSE
            }
            return a.position < b.position
        }
        return measured.map(\.sensitivity)
    }
}
