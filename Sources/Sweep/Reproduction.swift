import Datasets
import Experiments
import Foundation
import RunRecords
import TensorCore

/// `qbench reproduce RUN_DIR`: re-runs a sweep from its `manifest.json`, in the numerics it recorded, and compares
/// every accuracy metric, every prediction and (in `reproducible` numerics) every logit bit for bit with what the
/// run folder recorded; timings are reported side by side and never compared.
///
/// `numerics: reproducible`: any difference in any metric, prediction or logit is a mismatch, whatever the two
/// machines. `numerics: fast` (and manifests written before `numerics` was recorded): FP32 rounding follows the
/// BLAS core, the CPU and the thread split, so a difference on a machine that differs from the recording one is
/// reported as numerical drift naming those differences (not a failure); on an identical machine it is a mismatch.
public enum Reproduction {
    /// One compared value.
    public struct Check: Sendable {
        public var scheme: String
        public var metric: String
        public var recorded: String
        public var now: String
        public var match: Bool
        /// Set on a difference attributed to `fast` numerics on another machine: what differs.
        public var drift: String? = nil
    }

    /// One timing, recorded and now (median seconds).
    public struct TimingPair: Sendable {
        public var scheme: String
        public var threads: Int
        public var recorded: Double
        public var now: Double
    }

    /// Largest |Δ logit| of one scheme over every thread count, and whether every logit kept its bits.
    public struct LogitComparison: Sendable {
        public var scheme: String
        /// nil when none of the scheme's stored predictions could be read (nothing was compared).
        public var maxDifference: Double?
        public var bitIdentical: Bool
    }

    public struct Report: Sendable {
        public var run: String
        public var filesVerified: Int
        /// The numerics the run recorded and was re-run in.
        public var numerics: NumericsMode
        public var threads: [Int]
        public var recordedMachine: RunEnvironment
        public var thisMachine: RunEnvironment
        /// What differs between the two machines (empty when nothing that can change FP32 rounding does).
        public var machineDifferences: [String]
        public var checks: [Check]
        public var timings: [TimingPair]
        public var logits: [LogitComparison]
        /// Differences not explained as drift: the run did not reproduce.
        public var mismatches: [Check] { checks.filter { !$0.match && $0.drift == nil } }
        /// Differences of a `fast` run on another machine.
        public var drifts: [Check] { checks.filter { !$0.match && $0.drift != nil } }
        public var allMatch: Bool { mismatches.isEmpty && drifts.isEmpty }
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
        let paths = try locateInputs(manifest, model: model, data: data, calibration: calibration)
        var experiment = try Experiment.resolve(manifest.config, source: manifest.configFile,
                                                reportAs: runFolder.appendingPathComponent("manifest.json").path,
                                                keyPrefix: "config.", schemes: manifest.schemes, paths: paths)
        experiment.variants = manifest.variants
        let numerics = manifest.effectiveNumerics
        experiment.config.numerics = numerics
        experiment.allowNonFinite = allowNonFinite
        if let repeats, repeats < 1 { throw ExperimentError.invalid("--repeats must be at least 1, got \(repeats)") }
        if repeats == nil, manifest.repeats < 1 {
            throw ExperimentError.config(file: runFolder.appendingPathComponent("manifest.json").path, keyPath: "repeats",
                                         line: nil, message: "\(manifest.repeats); expected an integer ≥ 1")
        }
        let now = try SweepRunner.hashInputs(experiment)
        try compareHashes(recorded: manifest.files, now: now)

        let thisMachine = RunEnvironment.capture(numerics: numerics)
        let differences = machineDifferences(recorded: manifest.environment, now: thisMachine)
        let outcome = try SweepRunner.run(experiment, runID: manifest.run, repeatsOverride: repeats ?? manifest.repeats,
                                          bootstrap: recorded.bootstrap, progress: progress)
        var checks: [Check] = []
        var timings: [TimingPair] = []
        var logits: [LogitComparison] = []
        // A difference under fast numerics on another machine is drift from the named differences.
        let driftNote: String? = numerics == .fast && !differences.isEmpty
            ? "numerical drift (fast numerics): " + differences.joined(separator: "; ") : nil
        func add(_ c: Check) {
            var c = c
            if !c.match { c.drift = driftNote }
            checks.append(c)
        }
        func check(_ scheme: String, _ metric: String, _ a: String, _ b: String) {
            add(Check(scheme: scheme, metric: metric, recorded: a, now: b, match: a == b))
        }
        let oldNames = recorded.schemes.map(\.scheme), newNames = outcome.results.schemes.map(\.scheme)
        add(Check(scheme: "(run)", metric: "schemes", recorded: "\(oldNames.count) schemes",
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
            if recorded.bootstrap != nil {   // runs recorded before error bars have none to compare
                check(name, "f1_ci95", exact(old.f1CI95), exact(new.f1CI95))
                check(name, "accuracy_ci95", exact(old.accuracyCI95), exact(new.accuracyCI95))
                check(name, "delta_f1_ci95", exact(old.deltaF1CI95), exact(new.deltaF1CI95))
                check(name, "mcnemar_p", exact(old.mcnemarP), exact(new.mcnemarP))
                if old.vsSweepBase != nil || new.vsSweepBase != nil {
                    let (a, b) = (old.vsSweepBase, new.vsSweepBase)
                    if a?.scheme != b?.scheme { check(name, "vs_sweep_base.scheme", a?.scheme ?? "none", b?.scheme ?? "none") }
                    check(name, "vs_sweep_base.delta_f1_ci95", exact(a?.deltaF1CI95), exact(b?.deltaF1CI95))
                    check(name, "vs_sweep_base.mcnemar_p", exact(a?.mcnemarP), exact(b?.mcnemarP))
                }
            }
            if let t = old.training {
                check(name, "qat final_loss", exact(t.finalLoss), exact(new.training?.finalLoss))
            }
            var worst: Double?
            var identical = true
            for t in recorded.threads {
                let threadsLabel = "@\(t) thread\(t == 1 ? "" : "s")"
                let stored: PredictionSet
                do { stored = try PredictionSet.read(runFolder: runFolder, scheme: name, threads: t) } catch {
                    // Nothing to compare: a failure in either mode (drift cannot explain a missing file).
                    checks.append(Check(scheme: name, metric: "predictions \(threadsLabel)", recorded: "unreadable: \(error)",
                                        now: "-", match: false))
                    identical = false
                    continue
                }
                guard let fresh = outcome.predictions[name]?[t] else { continue }
                let differing = zip(stored.predictions, fresh.predictions).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
                let same = stored.predictions.count == fresh.predictions.count && differing.isEmpty
                add(Check(scheme: name, metric: "predictions \(threadsLabel)",
                          recorded: "\(stored.predictions.count) stored",
                          now: same ? "\(fresh.predictions.count) identical"
                              : "\(differing.count) differ (first at index \(differing.first ?? min(stored.predictions.count, fresh.predictions.count)))",
                          match: same))
                let d = LogitDiff(stored.logits, fresh.logits)
                worst = max(worst ?? 0, d.maxAbs)
                identical = identical && d.differing == 0
                if numerics == .reproducible {
                    add(Check(scheme: name, metric: "logits \(threadsLabel)",
                              recorded: "\(d.count) stored",
                              now: d.differing == 0 ? "\(d.count) bit-identical"
                                  : "\(d.differing) differ (first at example \(d.firstExample ?? 0)), max |Δ| \(d.maxAbs)",
                              match: d.differing == 0))
                }
            }
            logits.append(LogitComparison(scheme: name, maxDifference: worst, bitIdentical: worst != nil && identical))
            for (o, n) in zip(old.timings, new.timings) {
                timings.append(TimingPair(scheme: name, threads: o.threads, recorded: o.median, now: n.median))
            }
        }
        return Report(run: manifest.run, filesVerified: now.count, numerics: numerics, threads: recorded.threads,
                      recordedMachine: manifest.environment, thisMachine: thisMachine, machineDifferences: differences,
                      checks: checks, timings: timings, logits: logits)
    }

    /// Where to read the model, data and calibration data: the option when given; else the first that exists of
    /// the manifest's project-relative path (`inputs`), the path as the config gave it (both from the working
    /// directory; older manifests have only the latter), and the absolute recorded path.
    /// - Throws: `notReproducible` naming the input, where it was looked for and the option to pass.
    static func locateInputs(_ manifest: RunManifest, model: String?, data: String?,
                             calibration: String?) throws -> (model: String, data: String, calibration: String) {
        let fm = FileManager.default
        let cwd = URL(fileURLWithPath: fm.currentDirectoryPath)
        func absolute(_ p: String) -> String {
            (p.hasPrefix("/") ? URL(fileURLWithPath: p) : cwd.appendingPathComponent(p)).standardizedFileURL.path
        }
        func locate(_ what: String, option: String, given: String?, relative: String?, asConfigured: String?,
                    recorded: String, required: Bool) throws -> String {
            if let given { return absolute(given) }
            var tried: [String] = []
            let candidates = [relative.map(absolute), asConfigured.map(absolute), recorded].compactMap { $0 }
            for candidate in candidates where !tried.contains(candidate) {
                if fm.fileExists(atPath: candidate) { return candidate }
                tried.append(candidate)
            }
            guard required else { return tried.last ?? recorded }
            throw ExperimentError.notReproducible("the \(what) recorded in the manifest exists neither at "
                                                  + tried.joined(separator: " nor at ")
                                                  + "; pass --\(option) with its location (its files must hash as recorded)")
        }
        let inputs = manifest.inputs, config = manifest.config
        let m = try locate("model folder", option: "model", given: model, relative: inputs?.model,
                           asConfigured: config.model, recorded: manifest.modelPath, required: true)
        let d = try locate("data", option: "data", given: data, relative: inputs?.data, asConfigured: config.data.path,
                           recorded: manifest.dataPath, required: true)
        // Calibration data is read only by static schemes; a missing one is reported by the hash check then.
        let c = try locate("calibration data", option: "calibration-data", given: calibration,
                           relative: inputs?.calibration, asConfigured: config.calibration.data ?? config.data.path,
                           recorded: manifest.calibrationPath, required: false)
        return (m, d, c)
    }

    /// The differences between two machines (and builds) that can change FP32 rounding under `fast` numerics, by
    /// name: `CPU A → B`, `BLAS core Zen → SkylakeX`, … Empty when none differs (fields the recording did not
    /// record are not counted).
    public static func machineDifferences(recorded a: RunEnvironment, now b: RunEnvironment) -> [String] {
        var out: [String] = []
        // A field an older manifest did not record is no named difference.
        func diff(_ what: String, _ x: String?, _ y: String?) {
            if let x, let y, x != y { out.append("\(what) \(x) → \(y)") }
        }
        diff("CPU", a.cpu, b.cpu)
        if a.cpuFeatures != b.cpuFeatures {
            let added = Set(b.cpuFeatures).subtracting(a.cpuFeatures).sorted()
            let removed = Set(a.cpuFeatures).subtracting(b.cpuFeatures).sorted()
            out.append("CPU features" + (added.isEmpty ? "" : " +" + added.joined(separator: " +"))
                       + (removed.isEmpty ? "" : " −" + removed.joined(separator: " −")))
        }
        diff("kernel family", a.kernelFamily, b.kernelFamily)
        diff("FP32 GEMM", a.fp32Gemm, b.fp32Gemm)
        diff("bf16 kernel", a.bf16Kernel, b.bf16Kernel)
        diff("BLAS core", a.blasCore, b.blasCore)
        diff("BLAS build", a.blasConfig, b.blasConfig)
        diff("QuantBench commit", a.gitCommit, b.gitCommit)
        return out
    }

    /// Logit-by-logit comparison by bit pattern (so −0 vs +0 and NaN payloads count as differences).
    struct LogitDiff {
        var count = 0
        var differing = 0
        var firstExample: Int?
        var maxAbs = 0.0

        init(_ a: [[Float]], _ b: [[Float]]) {
            for (i, (ra, rb)) in zip(a, b).enumerated() {
                let rowDiffers = ra.count != rb.count || zip(ra, rb).contains { $0.bitPattern != $1.bitPattern }
                for (x, y) in zip(ra, rb) {
                    count += 1
                    if x.bitPattern != y.bitPattern { differing += 1 }
                    maxAbs = max(maxAbs, Double(abs(x - y)))
                }
                if ra.count != rb.count { differing += abs(ra.count - rb.count) }
                if rowDiffers, firstExample == nil { firstExample = i }
            }
            if a.count != b.count {
                differing += abs(a.count - b.count)
                if firstExample == nil { firstExample = min(a.count, b.count) }
            }
        }
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

    /// `[lower, upper]` in shortest round-trip text.
    static func exact(_ x: ConfidenceInterval?) -> String { x.map { "[\(exact($0.lower)), \(exact($0.upper))]" } ?? "none" }

    static func confusion(_ r: SchemeResult) -> String {
        guard let m = r.metrics else { return "none" }
        return "\(m.truePositives)/\(m.falsePositives)/\(m.falseNegatives)/\(m.trueNegatives)"
    }
}
