import ArgumentParser
import Experiments
import Foundation
import Sweep

/// `qbench reproduce RUN_DIR`: re-run a sweep from its manifest and compare metrics and predictions exactly.
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a sweep from RUN_DIR/manifest.json; print each metric as match/mismatch (exit 1 on any mismatch).",
        discussion: """
            Refuses (exit 1, nothing run) when a model or data file's sha256 differs from the manifest. Accuracy \
            metrics and predictions must match exactly; timings are shown side by side, not compared.
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
        let w0 = max(6, report.checks.map(\.scheme.count).max() ?? 0)
        let w1 = max(6, report.checks.map(\.metric.count).max() ?? 0)
        let w2 = max(8, report.checks.map(\.recorded.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s.padding(toLength: max(w, s.count), withPad: " ", startingAt: 0) }
        print(pad("scheme", w0) + "  " + pad("metric", w1) + "  " + pad("recorded", w2) + "  " + "now")
        for c in report.checks {
            print(pad(c.scheme, w0) + "  " + pad(c.metric, w1) + "  " + pad(c.recorded, w2) + "  "
                  + c.now + "  " + (c.match ? "match" : "MISMATCH"))
        }
        print("\nlogits (informational, not compared): largest |Δ| vs recorded")
        for (s, d) in report.logitDifferences {
            let text = d.map { $0 == 0 ? "bit-identical" : String(format: "%.3g", $0) } ?? "not compared (no stored predictions)"
            print("  " + pad(s, w0) + "  " + text)
        }
        print("\ntimings (median seconds; shown, not compared)")
        print("  " + pad("scheme", w0) + "  threads  recorded      now")
        for t in report.timings {
            print("  " + pad(t.scheme, w0) + String(format: "  %7d  %8.3f  %8.3f", t.threads, t.recorded, t.now))
        }
        let n = report.checks.count
        if report.allMatch {
            print("\nresult: all \(n) checks match")
        } else {
            print("\nresult: \(report.mismatches.count) of \(n) checks MISMATCH")
            throw ExitCode(1)
        }
    }
}
