import Foundation
import _Support
import RunRecords

/// A run folder read for export: `manifest.json`, `results.json` and, when present, `stats.h5`; the figures are
/// rendered once, and `document(runPath:)` composes the notebook content for a given path from the output's
/// folder to the run's files.
public struct RunExport {
    public let folder: URL
    public let manifest: RunManifest
    public let results: SweepResults
    public let statistics: RunStatistics?
    /// Figures (a)–(d) or why each is absent, then (e)–(f) when stats.h5 has outlier statistics.
    public let figures: [RunFigures.Outcome]

    /// Reads `folder`.
    /// - Throws: `ExportError` naming the folder or file: not a folder, missing or malformed `manifest.json` or
    ///   `results.json`, unreadable `stats.h5`.
    public init(folder path: String) throws {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ExportError.notARunFolder(path: path, reason: "no such folder")
        }
        guard isDir.boolValue else { throw ExportError.notARunFolder(path: path, reason: "a file, not a folder") }
        let folder = URL(fileURLWithPath: path).standardizedFileURL
        self.folder = folder
        let manifestURL = folder.appendingPathComponent("manifest.json")
        guard fm.fileExists(atPath: manifestURL.path) else {
            throw ExportError.notARunFolder(path: path, reason: "no manifest.json (run folders are written by `qbench sweep`)")
        }
        do { manifest = try RunManifest.read(runFolder: folder) } catch {
            throw ExportError.badRunFile(path: manifestURL.path, reason: Self.reason(error, file: manifestURL.path))
        }
        let resultsURL = folder.appendingPathComponent("results.json")
        do { results = try SweepResults.read(runFolder: folder) } catch {
            throw ExportError.badRunFile(path: resultsURL.path, reason: Self.reason(error, file: resultsURL.path))
        }
        guard results.schemaVersion == 1 else {
            throw ExportError.badRunFile(path: resultsURL.path, reason: "schema_version \(results.schemaVersion); this QuantBench reads version 1")
        }
        let statsURL = folder.appendingPathComponent("stats.h5")
        let absence: String
        if fm.fileExists(atPath: statsURL.path) {
            statistics = try RunStatistics(path: statsURL.path)
            absence = ""
        } else {
            statistics = nil
            absence = manifest.statistics == "stats.h5"
                ? "the manifest lists stats.h5 but the run folder has none (copied without it?)"
                : "the run has no stats.h5 (manifest: \(manifest.statistics))"
        }
        let builder = RunFigures(results: results, manifest: manifest, statistics: statistics, statisticsAbsence: absence)
        figures = [builder.f1VersusSize(), builder.layerSQNR(), builder.depthSQNR(), try builder.worstLayerHistograms()]
            + builder.outlierFigures()
    }

    /// The export's content; `runPath` is how the Python cells reach the run's files from the output's folder.
    public func document(runPath: String) -> ExportDocument {
        let m = manifest, r = results
        var blocks: [ExportDocument.Block] = []
        let c = m.config
        blocks.append(.markdown("# \(c.name)" + (c.description.isEmpty ? "" : ": \(c.description)") + "\n\n"
            + "Run `\(r.run)`, exported by QuantBench \(QuantBenchVersion.current) (`qbench export`) from its `manifest.json`, "
            + "`results.json`" + (statistics != nil ? " and `stats.h5`" : "") + ". The figures are SVG rendered by QuantBench; "
            + "the Python cells at the end load the same files with h5py and pandas."))
        blocks.append(.markdown(ManifestSummary.markdown(m, results: r)))
        blocks.append(.markdown(ResultsReport.resultSections(r, manifest: m)))
        var plots = "## Figures\n\n"
        let absent = figures.compactMap { f -> String? in
            if case let .absent(title, reason) = f { return "- **\(title)**: absent, \(reason)." }
            return nil
        }
        let outliers = figures.count > 4
        plots += absent.isEmpty ? (outliers ? "Six" : "Four") + " figures: (a) F1 vs model size, (b) per-layer output SQNR, "
            + "(c) hidden-state SQNR by depth, (d) input ranges of the worst layers"
            + (outliers ? ", (e) outlier channels of the FP32 model, (f) the token classes carrying them" : "")
            + ". SQNR = 10·log10(Σ r² / Σ (r − q)²) in dB against the FP32 model."
            : "Not every figure could be drawn:\n\n" + absent.joined(separator: "\n")
        blocks.append(.markdown(plots))
        let letters = ["a", "b", "c", "d", "e", "f"]
        for (i, f) in figures.enumerated() {
            switch f {
            case let .figure(fig):
                blocks.append(.markdown("### (\(letters[i])) \(fig.title)"))
                blocks.append(.figure(fig))
            case let .absent(title, reason):
                blocks.append(.markdown("### (\(letters[i])) \(title)\n\nAbsent: \(reason)."))
            }
        }
        blocks.append(.markdown("## Continue in Python\n\nThe cells below read the run's files (paths relative to this "
            + "notebook's folder) with pandas" + (statistics != nil ? " and h5py, and redraw figure (b) with matplotlib."
            : ", and redraw figure (a) with matplotlib (this run has no stats.h5).")
            + (statistics != nil ? " They need `h5py`, `pandas` and `matplotlib`." : " They need `pandas` and `matplotlib`.")))
        blocks.append(.code(PythonCells.paths(run: runPath, hasStatistics: statistics != nil)))
        blocks.append(.code(PythonCells.results))
        if statistics != nil {
            blocks.append(.code(PythonCells.statistics))
            blocks.append(.code(PythonCells.redrawLayerSQNR))
        } else {
            blocks.append(.code(PythonCells.redrawF1VersusSize))
        }
        return ExportDocument(blocks: blocks, metadata: [
            "run": r.run, "exported_by": "qbench export", "quantbench_version": QuantBenchVersion.current,
            "config_sha256": m.configSHA256, "git_commit": m.environment.gitCommit,
        ])
    }

    static func reason(_ error: Error, file: String) -> String {
        var text = "\(error)"
        if text.hasPrefix(file + ": ") { text = String(text.dropFirst(file.count + 2)) }
        return text
    }
}
