import Datasets
import Foundation

/// `report.md` of a `qbench recommend` folder: the splits, the ranking and every step of the fallback.
public enum RecommendationReport {
    /// The Markdown report of `r`.
    public static func markdown(_ r: Recommendation, manifest: RecommendationManifest) -> String {
        func m(_ x: ClassificationMetrics) -> String { String(format: "F1 %.4f, accuracy %.4f", x.f1, x.accuracy) }
        func f(_ x: Double) -> String { String(format: "%.4f", x) }
        func mb(_ bytes: Int) -> String { String(format: "%.2f", Double(bytes) / 1e6) }
        let metric = r.metric.rawValue
        var out = "# Recommendation: \(r.baseScheme) within \(metric) budget \(f(r.budget))\n\n"
        out += "Run `\(r.run)`, made by `\(manifest.command.joined(separator: " "))`.\n\n"
        out += "## Splits\n\n"
        out += "- **Deciding** (ranking and every stop decision): `\(r.deciding.file)` (\(r.deciding.split)), "
            + "\(r.deciding.examples) examples: \(r.deciding.selection).\n"
        out += "- **Reporting** (numbers only, never a decision): `\(r.reporting.file)` (\(r.reporting.split)), "
            + "\(r.reporting.examples) examples: \(r.reporting.selection).\n"
        if let c = r.calibration {
            out += "- **Calibration** (static ranges, once, from the FP32 model): `\(c.file)` (\(c.split)), "
                + "\(c.examples) examples: \(c.selection).\n"
        }
        out += "\nFP32: deciding \(m(r.fp32.deciding)); reporting \(m(r.fp32.reporting)); \(mb(r.fp32.modelBytes)) MB.\n\n"
        out += "## Outcome\n\n"
        if let last = r.final {
            let reverted = last.revertedSoFar.isEmpty ? "nothing" : last.revertedSoFar.map { "`\($0)`" }.joined(separator: ", ")
            out += r.withinBudget
                ? "Within budget after \(last.index) step(s): loss \(f(last.loss)) ≤ \(f(r.budget)) on the deciding split.\n"
                : "**Budget not met**: loss \(f(last.loss)) > \(f(r.budget)) on the deciding split after every unit was reverted.\n"
            if r.everyUnitReverted {
                out += "Every quantized unit was reverted to \(r.fallback.rawValue)"
                    + (r.fallback == .fp32 ? ": the recommendation is the FP32 model itself.\n" : ".\n")
            }
            out += "Reverted to \(r.fallback.rawValue): \(reverted).\n\n"
            out += "`scheme.json` (`\(r.recommendedScheme)`) on the reporting split: \(m(last.evaluation.reporting)), "
                + "\(mb(last.evaluation.modelBytes)) MB. Reproduce with:\n\n    \(r.reproduce.joined(separator: " "))\n\n"
        }
        out += "## Steps\n\n"
        out += "| step | reverted | deciding F1 | deciding acc | loss (\(metric)) | reporting F1 | reporting acc | size MB | within |\n"
        out += "|---:|---|---:|---:|---:|---:|---:|---:|---|\n"
        for s in r.steps {
            let e = s.evaluation
            out += "| \(s.index) | \(s.reverted.map { "`\($0)`" } ?? "(full scheme)") | \(f(e.deciding.f1)) | "
                + "\(f(e.deciding.accuracy)) | \(f(s.loss)) | \(f(e.reporting.f1)) | \(f(e.reporting.accuracy)) | "
                + "\(mb(e.modelBytes)) | \(s.withinBudget ? "yes" : "no") |\n"
        }
        out += "\nSpeed: \(r.speed)\n\n"
        out += "## Ranking (\(r.ranking.rawValue), most sensitive first)\n\n"
        switch r.ranking {
        case .disableOnly:
            out += "Score: \(metric) of the full scheme with only this unit reverted to FP32, minus the full scheme's; "
                + "ties by the smaller logit MSE against FP32.\n\n"
        case .logitMSE:
            out += "Score: mean squared logit difference against FP32 with only this unit quantized.\n\n"
        }
        out += "| rank | unit | score | deciding F1 | deciding acc | logit MSE |\n|---:|---|---:|---:|---:|---:|\n"
        for (i, s) in r.sensitivities.enumerated() {
            out += "| \(i + 1) | `\(s.unit)` | \(String(format: "%.6g", s.score)) | \(f(s.deciding.f1)) | "
                + "\(f(s.deciding.accuracy)) | \(String(format: "%.6g", s.logitMSE)) |\n"
        }
        let env = manifest.environment
        out += "\n## Environment\n\nNumerics \(manifest.numerics.rawValue), \(manifest.threads) thread(s), batch size "
            + "\(manifest.batching.batchSize), max sequence length \(manifest.batching.maxSeqLength); QuantBench "
            + "\(env.quantbenchVersion) (\(env.gitCommit)\(env.gitDirty == true ? ", dirty" : "")), \(env.cpu), kernel family "
            + "\(env.kernelFamily ?? "?"). Inputs and their sha256: `manifest.json`.\n"
        return out
    }
}
