import ArgumentParser
import Experiments
import Foundation
import RunRecords
import Sweep
import TensorCore

/// `qbench reproduce RUN_DIR`: re-run a sweep from its manifest and compare metrics and predictions exactly.
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a sweep from RUN_DIR/manifest.json; print each metric as match/mismatch (exit 1 on any mismatch).",
        discussion: """
            Refuses (exit 1, nothing run) when a model or data file's sha256 differs from the manifest. Inputs are \
            looked for at --model/--data/--calibration-data, else at the manifest's project-relative paths, else \
            at the recorded absolute paths. The run is repeated in the numerics it recorded (manifests without \
            `numerics` ran OpenBLAS: fast). reproducible: every metric, prediction and logit must be bit-identical. \
            fast: differences on a machine that differs from the recording one are reported as numerical drift \
            naming the difference (exit 0), on an identical machine as MISMATCH. Timings are shown, not compared.
            """)

    @Argument(help: "A run folder written by `qbench sweep`.")
    var runDir: String
    @Option(help: "The model folder's new location (its files must hash as recorded).")
    var model: String?
    @Option(help: "The data's new location (TSV or task folder; must hash as recorded).")
    var data: String?
    @Option(help: "The calibration data's new location.")
    var calibrationData: String?
    @Option(help: "Timing passes per scheme and thread count (default: as recorded; metrics do not depend on it).")
    var repeats: Int?
    @OptionGroup var nonFinite: NonFiniteOption

    func validate() throws {
        if let repeats, repeats < 1 { throw ValidationError("--repeats must be at least 1") }
    }

    func run() throws {
        let bar = ProgressBar(label: "reproduce")
        let report = try Reproduction.run(runFolder: URL(fileURLWithPath: runDir), model: model, data: data,
                                          calibration: calibrationData, repeats: repeats,
                                          allowNonFinite: nonFinite.allowNonFinite) { label, done, total in
            bar.label = label
            bar.update(done, total)
        }
        print("reproducing \(report.run): \(report.filesVerified) model/data files match the manifest's sha256")
        print("numerics: \(report.numerics.rawValue); threads: "
              + report.threads.map(String.init).joined(separator: ", "))
        let machines = Reproduce.machineTable(recorded: report.recordedMachine, now: report.thisMachine)
        print(machines)
        if report.machineDifferences.isEmpty {
            print("machines and builds: nothing that changes FP32 rounding differs")
        } else {
            print("machines and builds differ: " + report.machineDifferences.joined(separator: "; ")
                  + (report.numerics == .reproducible ? " (reproducible numerics: results must not change)" : ""))
        }
        print("")
        let w0 = max(6, report.checks.map(\.scheme.count).max() ?? 0)
        let w1 = max(6, report.checks.map(\.metric.count).max() ?? 0)
        let w2 = max(8, report.checks.map(\.recorded.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        print(pad("scheme", w0) + "  " + pad("metric", w1) + "  " + pad("recorded", w2) + "  " + "now")
        for c in report.checks {
            print(pad(c.scheme, w0) + "  " + pad(c.metric, w1) + "  " + pad(c.recorded, w2) + "  "
                  + c.now + "  " + (c.match ? "match" : c.drift != nil ? "DRIFT" : "MISMATCH"))
        }
        let compared = report.numerics == .reproducible ? "compared bit for bit above" : "not compared: fast numerics"
        print("\nlogits (\(compared)): largest |Δ| vs recorded")
        for l in report.logits {
            let text: String
            if let d = l.maxDifference {
                text = l.bitIdentical ? "bit-identical" : String(format: "%.3g (not bit-identical)", d)
            } else {
                text = "not compared (no stored predictions)"
            }
            print("  " + pad(l.scheme, w0) + "  " + text)
        }
        print("\ntimings (median seconds; shown, not compared)")
        print("  " + pad("scheme", w0) + "  threads  recorded      now")
        for t in report.timings {
            print("  " + pad(t.scheme, w0) + String(format: "  %7d  %8.3f  %8.3f", t.threads, t.recorded, t.now))
        }
        let n = report.checks.count
        if report.allMatch {
            print("\nresult: all \(n) checks match")
        } else if report.mismatches.isEmpty {
            print("\nresult: \(n - report.drifts.count) of \(n) checks match; \(report.drifts.count) DRIFT: "
                  + (report.drifts.first?.drift ?? "") + ". Not reproduced bit for bit; record with "
                  + "`numerics: reproducible` for results that do not depend on the machine")
        } else {
            print("\nresult: \(report.mismatches.count) of \(n) checks MISMATCH"
                  + (report.drifts.isEmpty ? "" : ", \(report.drifts.count) DRIFT"))
            throw ExitCode(1)
        }
    }

    /// Both machines side by side: CPU, features, kernel family, FP32 GEMM, BLAS core, OS, build.
    static func machineTable(recorded a: RunEnvironment, now b: RunEnvironment) -> String {
        let rows: [(String, String, String)] = [
            ("CPU", a.cpu, b.cpu),
            ("CPU features", a.cpuFeatures.joined(separator: " "), b.cpuFeatures.joined(separator: " ")),
            ("kernel family", a.kernelFamily ?? "not recorded", b.kernelFamily ?? "not recorded"),
            ("FP32 GEMM", a.fp32Gemm ?? "not recorded (OpenBLAS)", b.fp32Gemm ?? "-"),
            ("bf16 kernel", a.bf16Kernel ?? "not recorded", b.bf16Kernel ?? "-"),
            ("BLAS core", a.blasCore, b.blasCore),
            ("BLAS build", a.blasConfig, b.blasConfig),
            ("logical cores", "\(a.logicalCores)", "\(b.logicalCores)"),
            ("OS", a.os, b.os),
            ("QuantBench", "\(a.quantbenchVersion) \(a.gitCommit)", "\(b.quantbenchVersion) \(b.gitCommit)"),
        ]
        let w0 = rows.map(\.0.count).max() ?? 0
        let w1 = max(8, rows.map(\.1.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        var lines = ["  " + pad("machine", w0) + "  " + pad("recorded", w1) + "  this machine"]
        for (k, x, y) in rows { lines.append("  " + pad(k, w0) + "  " + pad(x, w1) + "  " + y + (x == y ? "" : "   *")) }
        return lines.joined(separator: "\n")
    }
}
