import Experiments
import Foundation
import RunRecords

/// `qbench reproduce RUN_DIR`: re-runs a sweep from its `manifest.json` and compares every accuracy metric and
/// every prediction with what the run folder recorded. Metrics and predictions must match exactly (same code,
/// same inputs, deterministic kernels); timings are reported side by side and never compared.
public enum Reproduction {
    /// One compared value.
    public struct Check: Sendable {
        public var scheme: String
        public var metric: String
        public var recorded: String
        public var now: String
        public var match: Bool
    }

    /// One timing, recorded and now (median seconds).
    public struct TimingPair: Sendable {
        public var scheme: String
        public var threads: Int
        public var recorded: Double
        public var now: Double
    }

    public struct Report: Sendable {
        public var run: String
        public var filesVerified: Int
        public var checks: [Check]
        public var timings: [TimingPair]
        /// Informational: largest |Δ logit| against the recorded logits, per scheme.
        /// nil for a scheme none of whose stored predictions could be read (nothing was compared).
        public var logitDifferences: [(scheme: String, max: Double?)]
        public var mismatches: [Check] { checks.filter { !$0.match } }
        public var allMatch: Bool { mismatches.isEmpty }
    }

    /// Verifies the inputs' hashes, re-runs, and compares.
    /// - Parameters:
    ///   - model, data, calibration: other locations of the same files (hashes are still checked).
    ///   - repeats: timing passes (default: the manifest's); metrics do not depend on it.
    ///   - allowNonFinite: keep NaN/±Inf weights and logits (`--allow-nonfinite`; never taken from the manifest, so
    ///     a run folder from elsewhere cannot turn the check off).
    /// - Throws: `ExperimentError.notReproducible` listing every model or data file whose sha256 differs from
    ///   the manifest (or is missing); nothing is run then. QAT rows are trained again (same data, seed and
    ///   threads) and compared like the rest.
    public static func run(runFolder: URL, model: String? = nil, data: String? = nil, calibration: String? = nil,
                           repeats: Int? = nil, allowNonFinite: Bool = false,
                           progress: SweepRunner.Progress? = nil) throws -> Report {
        let manifest = try RunManifest.read(runFolder: runFolder)
        let recorded = try SweepResults.read(runFolder: runFolder)
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        func absolute(_ p: String) -> String {
            (p.hasPrefix("/") ? URL(fileURLWithPath: p) : cwd.appendingPathComponent(p)).standardizedFileURL.path
        }
        let paths = (model: model.map(absolute) ?? manifest.modelPath, data: data.map(absolute) ?? manifest.dataPath,
                     calibration: calibration.map(absolute) ?? manifest.calibrationPath)
        for (what, path) in [("model folder", paths.model), ("data", paths.data)]
        where !FileManager.default.fileExists(atPath: path) {
            throw ExperimentError.notReproducible("the \(what) \(path) recorded in the manifest does not exist here; "
                                                  + "pass --\(what == "data" ? "data" : "model") with its new location")
        }
        var experiment = try Experiment.resolve(manifest.config, source: manifest.configFile,
                                                reportAs: runFolder.appendingPathComponent("manifest.json").path,
                                                keyPrefix: "config.", schemes: manifest.schemes, paths: paths)
        experiment.variants = manifest.variants
        experiment.allowNonFinite = allowNonFinite
        if let repeats, repeats < 1 { throw ExperimentError.invalid("--repeats must be at least 1, got \(repeats)") }
        if repeats == nil, manifest.repeats < 1 {
            throw ExperimentError.config(file: runFolder.appendingPathComponent("manifest.json").path, keyPath: "repeats",
                                         line: nil, message: "\(manifest.repeats); expected an integer ≥ 1")
        }
        let now = try SweepRunner.hashInputs(experiment)
        try compareHashes(recorded: manifest.files, now: now)

        let outcome = try SweepRunner.run(experiment, runID: manifest.run, repeatsOverride: repeats ?? manifest.repeats,
                                          progress: progress)
        var checks: [Check] = []
        var timings: [TimingPair] = []
        var logitDiffs: [(String, Double?)] = []
        func check(_ scheme: String, _ metric: String, _ a: String, _ b: String) {
            checks.append(Check(scheme: scheme, metric: metric, recorded: a, now: b, match: a == b))
        }
        let oldNames = recorded.schemes.map(\.scheme), newNames = outcome.results.schemes.map(\.scheme)
        checks.append(Check(scheme: "(run)", metric: "schemes", recorded: "\(oldNames.count) schemes",
                            now: oldNames == newNames ? "\(newNames.count) schemes, same names and order"
                                : "\(newNames.count) schemes: " + newNames.joined(separator: ", "),
                            match: oldNames == newNames))
        check("(run)", "examples", "\(recorded.examples)", "\(outcome.results.examples)")
        for old in recorded.schemes {
            guard let new = outcome.results.schemes.first(where: { $0.scheme == old.scheme }) else { continue }
            let name = old.scheme
            check(name, "f1", exact(old.metrics?.f1), exact(new.metrics?.f1))
            check(name, "accuracy", exact(old.metrics?.accuracy), exact(new.metrics?.accuracy))
            check(name, "confusion tp/fp/fn/tn", confusion(old), confusion(new))
            check(name, "delta_f1", exact(old.deltaF1), exact(new.deltaF1))
            check(name, "flips_vs_fp32", "\(old.flipsVsFP32)", "\(new.flipsVsFP32)")
            check(name, "model_bytes", "\(old.modelBytes)", "\(new.modelBytes)")
            check(name, "consistent_across_threads", "\(old.consistentAcrossThreads)", "\(new.consistentAcrossThreads)")
            if let t = old.training {
                check(name, "qat final_loss", exact(t.finalLoss), exact(new.training?.finalLoss))
            }
            var worst: Double?
            for t in recorded.threads {
                let stored: PredictionSet
                do { stored = try PredictionSet.read(runFolder: runFolder, scheme: name, threads: t) } catch {
                    checks.append(Check(scheme: name, metric: "predictions @\(t) threads", recorded: "unreadable: \(error)",
                                        now: "-", match: false))
                    continue
                }
                guard let fresh = outcome.predictions[name]?[t] else { continue }
                let differing = zip(stored.predictions, fresh.predictions).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
                let same = stored.predictions.count == fresh.predictions.count && differing.isEmpty
                checks.append(Check(scheme: name, metric: "predictions @\(t) thread\(t == 1 ? "" : "s")",
                                    recorded: "\(stored.predictions.count) stored",
                                    now: same ? "\(fresh.predictions.count) identical"
                                        : "\(differing.count) differ (first at index \(differing.first ?? min(stored.predictions.count, fresh.predictions.count)))",
                                    match: same))
                worst = max(worst ?? 0, SweepRunner.maxDifference(stored.logits, fresh.logits))
            }
            logitDiffs.append((name, worst))
            for (o, n) in zip(old.timings, new.timings) {
                timings.append(TimingPair(scheme: name, threads: o.threads, recorded: o.median, now: n.median))
            }
        }
        return Report(run: manifest.run, filesVerified: now.count, checks: checks, timings: timings,
                      logitDifferences: logitDiffs)
    }

    /// Throws `notReproducible` naming every file that is missing, new or different.
    static func compareHashes(recorded: [RunManifest.FileHash], now: [RunManifest.FileHash]) throws {
        var problems: [String] = []
        for r in recorded {
            guard let n = now.first(where: { $0.role == r.role && $0.name == r.name }) else {
                problems.append("\(r.role) file \(r.name) is missing (recorded at \(r.path))")
                continue
            }
            if n.sha256 != r.sha256 {
                problems.append("\(r.role) file \(n.path) has sha256 \(n.sha256.prefix(16))…, the manifest recorded "
                                + "\(r.sha256.prefix(16))… (\(r.bytes) bytes then, \(n.bytes) now)")
            }
        }
        for n in now where !recorded.contains(where: { $0.role == n.role && $0.name == n.name }) {
            problems.append("\(n.role) file \(n.path) was not part of the recorded run")
        }
        guard problems.isEmpty else {
            throw ExperimentError.notReproducible("the model or data differ from the run's manifest:\n  "
                                                  + problems.joined(separator: "\n  "))
        }
    }

    /// Shortest round-trip text: equal strings ⇔ bit-identical doubles.
    static func exact(_ x: Double?) -> String { x.map { "\($0)" } ?? "none" }

    static func confusion(_ r: SchemeResult) -> String {
        guard let m = r.metrics else { return "none" }
        return "\(m.truePositives)/\(m.falsePositives)/\(m.falseNegatives)/\(m.trueNegatives)"
    }
}
