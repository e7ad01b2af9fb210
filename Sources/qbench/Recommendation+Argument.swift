import ArgumentParser
import RunRecords

/// `--metric f1|accuracy`, `--ranking disable-only|logit-mse`, `--fallback fp32|fp16` (`recommend`).
extension Recommendation.Metric: ExpressibleByArgument {}
extension Recommendation.Ranking: ExpressibleByArgument {}
extension Recommendation.Fallback: ExpressibleByArgument {}
