import Datasets
import Foundation

/// `results.md` and `results.csv` of a run: the tutorial's table for every scheme (F1, accuracy, model MB,
/// seconds per thread count, speed-up and ΔF1 vs FP32, prediction flips vs FP32; with 95% bootstrap intervals and
/// McNemar p-values when the run recorded them), the factorial ablation's main effects, and the published
/// reference rows beside ours.
public enum ResultsReport {
    /// Renders `results.md` again from a run folder's `results.json` and `manifest.json`.
    public static func markdown(runFolder: URL) throws -> String {
        markdown(try SweepResults.read(runFolder: runFolder), manifest: try RunManifest.read(runFolder: runFolder))
    }

    /// The Markdown report.
    public static func markdown(_ r: SweepResults, manifest m: RunManifest) -> String {
        let c = m.config
        var out = "# \(c.name)" + (c.description.isEmpty ? "" : ": \(c.description)") + "\n\n"
        let env = m.environment
        let commit = env.gitCommit == "unknown" ? "commit unknown" : "commit \(env.gitCommit.prefix(10))"
            + (env.gitDirty == true ? " (uncommitted changes)" : "")
        out += "Run `\(r.run)` · QuantBench \(env.quantbenchVersion), \(commit) · \(m.started) · "
            + String(format: "wall time %.0f s", m.wallSeconds) + "\n\n"
        let split = (m.dataPath as NSString).pathExtension.lowercased() == "tsv" ? "" : " (\(c.data.split))"
        out += "- Model `\(c.model)`: \(m.modelShape)\n"
        out += "- Data `\(c.data.path)`\(split): \(r.examples) pairs" + (c.data.limit > 0 ? " (first \(c.data.limit))" : "") + "\n"
        out += "- Batch \(c.batching.batchSize), " + (c.batching.padToMax ? "padded to \(c.batching.maxSeqLength)" : "padded to the batch's longest, max \(c.batching.maxSeqLength)")
            + " · threads \(r.threads.map(String.init).joined(separator: ", ")) · \(r.repeats) pass\(r.repeats == 1 ? "" : "es") per thread count (median seconds)\n"
        out += "- \(env.cpu) · BLAS core \(env.blasCore) · \(env.os)\n"
        if let numerics = m.numerics {   // absent in runs recorded before it was
            out += "- FP32 numerics: \(numerics.rawValue)" + (env.fp32Gemm.map { " (\($0))" } ?? "")
                + (numerics == .reproducible ? ": the same bits on every x86-64 CPU and thread count" : "") + "\n"
        }
        out += "\n"
        if let seed = m.randomWeightsSeed {
            out += "> **Random weights** (`qbench model init`, seed \(seed)): F1, accuracy, ΔF1 and flips are meaningless "
                + "for this model; read the table for size and speed only.\n\n"
        }

        out += resultSections(r, manifest: m)
        out += "\n## Reproduce and cite\n\n`qbench reproduce <this folder>` re-runs from `manifest.json` and checks every metric "
            + "and prediction. Cite with `CITATION.cff` or `citation.bib` (config sha256 `\(m.configSHA256.prefix(16))…`).\n"
        return out
    }

    /// The body of `results.md` from `## Results` up to (not including) `## Reproduce and cite`: the main table,
    /// thread invariance, the factorial ablation, the published reference rows and the notes. `qbench export`
    /// puts it into notebooks as it is.
    public static func resultSections(_ r: SweepResults, manifest m: RunManifest) -> String {
        let c = m.config
        var out = "## Results\n\n" + table(r, manifest: m) + "\n"
        out += intervalNote(r)
        out += timingNote(r, manifest: m) + "\n"
        out += threadNote(r) + "\n"
        let qat = qatSection(r)
        if !qat.isEmpty { out += "\n" + qat }
        if !m.variants.isEmpty { out += "\n" + ablation(r, manifest: m) }
        let published = PublishedResults.rows(c.published)
        if !published.isEmpty { out += "\n" + publishedSection(published, manifest: m) }
        var notes = c.notes
        if m.statistics != "stats.h5", m.statistics != "not requested" { notes.append(m.statistics) }
        if !notes.isEmpty { out += "\n## Notes\n\n" + notes.map { "- \($0)\n" }.joined() }
        return out
    }

    /// The main table. A speed-up is shown only when the row was timed on the same CPU model as FP32
    /// (`timedLikeBaseline`); otherwise its cell reads "—".
    static func table(_ r: SweepResults, manifest m: RunManifest) -> String {
        let plural = { (t: Int) in t == 1 ? "1 thread" : "\(t) threads" }
        var head = "| scheme | F1 | accuracy | model MB |"
        var rule = "|---|---|---|---|"
        for t in r.threads { head += " s, \(plural(t)) |"; rule += "---|" }
        for t in r.threads { head += " speed-up, \(plural(t)) |"; rule += "---|" }
        head += " ΔF1 vs FP32 | flips vs FP32 |"
        rule += "---|---|"
        let tested = r.schemes.contains { $0.mcnemarP != nil }
        if tested { head += " McNemar p vs FP32 |"; rule += "---|" }
        var out = head + "\n" + rule + "\n"
        for s in r.schemes {
            var line = "| \(s.scheme) | \(fmt(s.metrics?.f1, s.f1CI95)) | \(fmt(s.metrics?.accuracy, s.accuracyCI95)) | "
                + String(format: "%.1f", s.modelMB) + " |"
            for t in s.timings { line += String(format: " %.2f |", t.median) }
            for t in s.timings {
                line += t.speedup.map { timedLikeBaseline(s.scheme, manifest: m) ? String(format: " %.2f× |", $0) : " — |" } ?? " — |"
            }
            line += s.kind == "baseline" ? " — | — |" : " \(signed(s.deltaF1, s.deltaF1CI95)) | \(s.flipsVsFP32) |"
            if tested { line += s.kind == "baseline" ? " — |" : " \(pValue(s.mcnemarP)) |" }
            out += line + "\n"
        }
        return out
    }

    /// What the brackets and p-values of the tables are (empty for a run without them).
    static func intervalNote(_ r: SweepResults) -> String {
        guard let b = r.bootstrap else { return "" }
        let level = String(format: "%g%%", b.confidence * 100)
        return "Brackets: \(level) \(b.method) intervals of \(b.replicates) bootstrap resamples of the \(r.examples) examples "
            + "(seed \(b.seed); the same resamples for every row, so a ΔF1 interval reflects only the examples where the two rows "
            + "disagree). McNemar p: exact two-sided test of equal accuracy on the examples where the row and FP32 disagree.\n\n"
    }

    /// How each `+qat` row was trained, next to its post-training counterpart.
    static func qatSection(_ r: SweepResults) -> String {
        let rows = r.schemes.filter { $0.training != nil }
        guard !rows.isEmpty else { return "" }
        var out = "## Quantization-aware training\n\n"
        out += "Each `+qat` row fine-tunes the FP32 model with its scheme fake-quantized (straight-through estimator), "
            + "keeps the last epoch (no selection on the evaluation split) and is evaluated on the integer kernels; "
            + "static ranges are the ones learned in training. stats.h5 covers the post-training rows only.\n\n"
        out += "| row | epochs | lr | batch | seed | train pairs | threads | training s | final loss | F1 | post-training F1 | flips vs FP32 (post-training) |\n"
        out += "|---|---|---|---|---|---|---|---|---|---|---|---|\n"
        for s in rows {
            let t = s.training!
            let base = String(s.scheme.dropLast(4))
            let ptq = r.schemes.first { $0.scheme == base && $0.training == nil }
            out += "| \(s.scheme) | \(t.epochs) | \(t.learningRate) | \(t.batchSize) | \(t.seed) | \(t.examples) | \(t.threads) | "
                + String(format: "%.1f | %.4f", t.seconds, t.finalLoss) + " | \(fmt(s.metrics?.f1)) | \(fmt(ptq?.metrics?.f1)) | "
                + "\(s.flipsVsFP32) (\(ptq.map { String($0.flipsVsFP32) } ?? "—")) |\n"
        }
        return out
    }

    static func threadNote(_ r: SweepResults) -> String {
        guard r.threads.count > 1 || r.repeats > 1 else {
            return "One thread count and one pass: thread invariance not tested.\n"
        }
        let maxDiff = r.schemes.flatMap(\.threadFlips).map(\.maxLogitDifference).max() ?? 0
        let counts = r.threads.map(String.init).joined(separator: " and ")
        if r.consistentAcrossThreads {
            let logits = maxDiff == 0 ? "logits bit-identical" : String(format: "largest |Δ logit| %.2g", maxDiff)
            return "Thread invariance: every scheme's predictions, F1 and accuracy are identical at \(counts) threads "
                + "and across passes (\(logits)).\n"
        }
        var out = "Thread invariance: **predictions differ** between thread counts for:\n"
        for s in r.schemes where !s.consistentAcrossThreads {
            out += "- \(s.scheme): " + s.threadFlips.filter { $0.flips > 0 }
                .map { String(format: "%d flips at %d threads (max |Δ logit| %.2g)", $0.flips, $0.threads, $0.maxLogitDifference) }
                .joined(separator: ", ") + "\n"
        }
        return out
    }

    /// One effect line per factor: mean F1 and flips at each level, and the spread between levels.
    public struct FactorEffect: Sendable {
        public var factor: String
        public var levels: [(level: String, meanF1: Double, meanFlips: Double)]
        /// Largest minus smallest level mean.
        public var f1Spread: Double { (levels.map(\.meanF1).max() ?? 0) - (levels.map(\.meanF1).min() ?? 0) }
        public var flipsSpread: Double { (levels.map(\.meanFlips).max() ?? 0) - (levels.map(\.meanFlips).min() ?? 0) }
    }

    /// Main effects of the sweep's factors (mean over the other factors' levels).
    public static func effects(_ r: SweepResults) -> [FactorEffect] {
        let rows = r.schemes.filter { $0.kind == "sweep" }
        return SweepFactor.allCases.compactMap { f in
            var order: [String] = []
            for row in rows { if let l = row.levels?[f.rawValue], !order.contains(l) { order.append(l) } }
            guard order.count > 1 else { return nil }
            return FactorEffect(factor: f.rawValue, levels: order.map { level in
                let sel = rows.filter { $0.levels?[f.rawValue] == level }
                let f1 = sel.compactMap { $0.metrics?.f1 }
                return (level, f1.reduce(0, +) / Double(max(1, f1.count)),
                        Double(sel.map(\.flipsVsFP32).reduce(0, +)) / Double(max(1, sel.count)))
            })
        }
    }

    static func ablation(_ r: SweepResults, manifest m: RunManifest) -> String {
        let rows = r.schemes.filter { $0.kind == "sweep" }
        let factors = SweepFactor.allCases.filter { f in rows.contains { $0.levels?[f.rawValue] != nil } }
        var out = "## Factorial ablation\n\n"
        if let sweep = m.config.sweep {
            let base: String
            switch sweep.base {
            case let .named(n): base = n
            case let .inline(s): base = s.name
            }
            out += "Base scheme `\(base)`; \(rows.count) variants = every combination of "
                + factors.map { "`\($0.rawValue)`" }.joined(separator: " × ") + ". Everything else (bias, embeddings, "
                + "weight code range, range source) stays as in the base.\n\n"
        }
        let tested = rows.contains { $0.mcnemarP != nil }
        out += "| variant | " + factors.map(\.rawValue).joined(separator: " | ") + " | F1 | accuracy | ΔF1 vs FP32 | flips vs FP32 |"
            + (tested ? " McNemar p vs FP32 |" : "") + "\n"
        out += "|---|" + factors.map { _ in "---|" }.joined() + "---|---|---|---|" + (tested ? "---|" : "") + "\n"
        for s in rows {
            out += "| \(s.scheme) | " + factors.map { s.levels?[$0.rawValue] ?? "" }.joined(separator: " | ")
                + " | \(fmt(s.metrics?.f1, s.f1CI95)) | \(fmt(s.metrics?.accuracy, s.accuracyCI95)) | "
                + "\(signed(s.deltaF1, s.deltaF1CI95)) | \(s.flipsVsFP32) |" + (tested ? " \(pValue(s.mcnemarP)) |" : "") + "\n"
        }
        out += oneFactorSteps(r, manifest: m)
        let eff = effects(r)
        guard !eff.isEmpty else { return out }
        out += "\nMain effects (each level's mean over all combinations of the other factors; interactions, such as one "
            + "factor hurting only at one level of another, show in the tables above):\n\n"
        out += "| factor | level: mean F1, mean flips | F1 spread | flips spread |\n|---|---|---|---|\n"
        for e in eff {
            let levels = e.levels.map { String(format: "%@: %.4f, %.1f", $0.level, $0.meanF1, $0.meanFlips) }.joined(separator: " · ")
            out += String(format: "| %@ | %@ | %.4f | %.1f |\n", e.factor, levels, e.f1Spread, e.flipsSpread)
        }
        let byF1 = eff.max { $0.f1Spread < $1.f1Spread }!
        let byFlips = eff.max { $0.flipsSpread < $1.flipsSpread }!
        func best(_ e: FactorEffect, f1: Bool) -> String {
            let b = f1 ? e.levels.max { $0.meanF1 < $1.meanF1 }! : e.levels.min { $0.meanFlips < $1.meanFlips }!
            return b.level
        }
        guard byF1.f1Spread > 0 || byFlips.flipsSpread > 0 else {
            return out + "\n**Answer:** no factor changed F1 or the predictions on this data.\n"
        }
        out += "\n**Answer:** the factor that moves F1 most is `\(byF1.factor)` "
            + String(format: "(spread %.4f F1; better level %@)", byF1.f1Spread, best(byF1, f1: true))
            + "; the factor that moves prediction flips most is `\(byFlips.factor)` "
            + String(format: "(spread %.1f flips; fewer with %@)", byFlips.flipsSpread, best(byFlips, f1: false)) + ".\n"
        return out
    }

    /// The variant equal to the base scheme, and for each factor the variant that differs from it in that
    /// factor only: what changing one thing at a time from the base does. With the run's error bars, ΔF1 vs base
    /// has its paired-bootstrap interval and the McNemar p-value of the variant against the base cell.
    static func oneFactorSteps(_ r: SweepResults, manifest m: RunManifest) -> String {
        guard let baseVariant = SweepVariant.baseCell(of: m.config.sweep, in: m.variants),
              let baseRow = r.schemes.first(where: { $0.scheme == baseVariant.scheme.name }) else { return "" }
        let baseName = (try? m.config.sweep?.base.resolve())?.name ?? baseVariant.scheme.name
        var out = "\nOne factor at a time from the base cell `\(baseRow.scheme)` (= `\(baseName)`; F1 "
            + fmt(baseRow.metrics?.f1, baseRow.f1CI95) + ", \(baseRow.flipsVsFP32) flips):\n\n"
        let tested = r.schemes.contains { $0.vsSweepBase != nil }
        out += "| change | variant | F1 | ΔF1 vs base | " + (tested ? "McNemar p vs base | " : "")
            + "flips vs FP32 | Δflips vs base |\n|---|---|---|---|" + (tested ? "---|" : "") + "---|---|\n"
        for f in SweepFactor.allCases {
            guard let from = baseVariant.levels[f.rawValue] else { continue }
            for v in m.variants where v.levels[f.rawValue] != from
                && v.levels.filter({ $0.key != f.rawValue }) == baseVariant.levels.filter({ $0.key != f.rawValue }) {
                guard let row = r.schemes.first(where: { $0.scheme == v.scheme.name }) else { continue }
                let d = row.metrics.flatMap { a in baseRow.metrics.map { a.f1 - $0.f1 } }
                let vs = row.vsSweepBase?.scheme == baseRow.scheme ? row.vsSweepBase : nil
                out += "| \(f.rawValue): \(from) → \(v.levels[f.rawValue] ?? "") | \(row.scheme) | \(fmt(row.metrics?.f1, row.f1CI95)) | "
                    + "\(signed(d, vs?.deltaF1CI95)) | " + (tested ? "\(pValue(vs?.mcnemarP)) | " : "")
                    + "\(row.flipsVsFP32) | \(String(format: "%+d", row.flipsVsFP32 - baseRow.flipsVsFP32)) |\n"
            }
        }
        return out
    }

    static func publishedSection(_ rows: [PublishedResults.Row], manifest m: RunManifest) -> String {
        var out = "## Published reference rows\n\n"
        if m.randomWeightsSeed != nil {
            out += "> Our model has random weights: only the size and speed columns can be set beside these rows.\n\n"
        } else if m.modelShape.hasPrefix("12 layers × 768 ") {
            out += "> Our model has bert-base shape, but it is not the tutorial's checkpoint and ran on another machine: "
                + "compare ΔF1 and ratios, not absolute values.\n\n"
        } else {
            out += "> **Our model differs:** the published rows are bert-base-uncased (12 layers × 768, 110 M parameters) "
                + "fine-tuned on MRPC, on other machines; ours is \(m.modelShape.hasPrefix("6 layers × 384 ") ? "the MiniLM-L6 stand-in" : "a different model") "
                + "(\(m.modelShape)). Compare ΔF1, flips and size/speed ratios, not absolute F1, MB or seconds. "
                + "Point `model:` at a bert-base MRPC folder for like-for-like rows.\n\n"
        }
        out += "| row | F1 | accuracy | model MB | seconds | source |\n|---|---|---|---|---|---|\n"
        for p in rows {
            out += "| published: \(p.row) | \(fmt(p.f1)) | \(fmt(p.accuracy)) | " + (p.modelMB.map { String(format: "%.0f", $0) } ?? "—")
                + " | \(p.seconds ?? "—") | \(p.source) |\n"
        }
        return out
    }

    /// `results.csv`: one row per scheme; seconds and speed-up per thread count; the 95% intervals (`_lo`, `_hi`)
    /// and McNemar p vs FP32 (empty when not recorded); factor levels of sweep variants.
    public static func csv(_ r: SweepResults) -> String {
        let factors = SweepFactor.allCases.filter { f in r.schemes.contains { $0.levels?[f.rawValue] != nil } }
        var head = ["scheme", "kind", "f1", "accuracy", "tp", "fp", "fn", "tn", "model_mb"]
        head += r.threads.map { "seconds_t\($0)" } + r.threads.map { "speedup_t\($0)" }
        head += ["delta_f1", "flips_vs_fp32", "consistent_across_threads"]
        head += ["f1_ci95_lo", "f1_ci95_hi", "accuracy_ci95_lo", "accuracy_ci95_hi", "delta_f1_ci95_lo", "delta_f1_ci95_hi",
                 "mcnemar_p"] + factors.map(\.rawValue)
        var out = head.joined(separator: ",") + "\n"
        for s in r.schemes {
            var f: [String] = [quote(s.scheme), s.kind]
            if let m = s.metrics {
                f += [String(m.f1), String(m.accuracy), String(m.truePositives), String(m.falsePositives),
                      String(m.falseNegatives), String(m.trueNegatives)]
            } else {
                f += ["", "", "", "", "", ""]
            }
            f.append(String(format: "%.3f", s.modelMB))
            f += s.timings.map { String(format: "%.4f", $0.median) } + s.timings.map { $0.speedup.map { String(format: "%.4f", $0) } ?? "" }
            f += [s.deltaF1.map { String($0) } ?? "", String(s.flipsVsFP32), String(s.consistentAcrossThreads)]
            for ci in [s.f1CI95, s.accuracyCI95, s.deltaF1CI95] { f += [ci.map { String($0.lower) } ?? "", ci.map { String($0.upper) } ?? ""] }
            f.append(s.mcnemarP.map { String($0) } ?? "")
            f += factors.map { s.levels?[$0.rawValue] ?? "" }
            out += f.joined(separator: ",") + "\n"
        }
        return out
    }

    static func quote(_ s: String) -> String {
        s.contains(",") || s.contains("\"") ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }

    static func fmt(_ x: Double?) -> String { x.map { String(format: "%.4f", $0) } ?? "—" }

    static func signed(_ x: Double?) -> String { x.map { String(format: "%+.4f", $0) } ?? "—" }

    /// `0.8512 [0.822, 0.879]`; the value alone without an interval.
    static func fmt(_ x: Double?, _ ci: ConfidenceInterval?) -> String {
        guard let x, let ci else { return fmt(x) }
        return String(format: "%.4f [%.3f, %.3f]", x, ci.lower, ci.upper)
    }

    /// `-0.0040 [-0.012, +0.004]`; the value alone without an interval.
    static func signed(_ x: Double?, _ ci: ConfidenceInterval?) -> String {
        guard let x, let ci else { return signed(x) }
        return String(format: "%+.4f [%+.3f, %+.3f]", x, ci.lower, ci.upper)
    }

    /// `0.039`, `1`, `3.1e-05`; `—` when absent.
    static func pValue(_ p: Double?) -> String {
        guard let p else { return "—" }
        if p == 1 { return "1" }
        return p >= 0.001 ? String(format: "%.3f", p) : String(format: "%.1e", p)
    }
}
