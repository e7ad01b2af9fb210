import Foundation
import _Support

/// `qbench export`: writes a run folder as a notebook and/or Markdown file. Everything is rendered in memory
/// first; then the bundle (a copy of the run's small files, `predictions/` and `stats.h5` in `<output folder>/<run name>/`) is
/// written to a temporary folder and renamed into place, and each output file is written with `AtomicFile`.
/// A bad run folder or an unwritable output fails before anything is written.
public enum RunExporter {
    /// Files copied into a bundle, when the run has them. `predictions/` (one small JSON-lines file per scheme and
    /// thread count) lets `qbench reproduce` check every prediction of the bundle; `qat/` (trained models) is left.
    public static let bundledFiles = ["manifest.json", "results.json", "results.md", "stats.h5", "experiment.yaml",
                                      "CITATION.cff", "citation.bib", "predictions"]

    /// What to write.
    public struct Options: Sendable {
        /// `.ipynb` output path.
        public var notebook: String?
        /// `.md` output path (SVGs written beside it as `<stem>-<figure>.svg`).
        public var markdown: String?
        /// Copy the run's files beside the first output so the Python cells find them wherever the folder goes.
        public var bundle: Bool
        public init(notebook: String?, markdown: String?, bundle: Bool) {
            self.notebook = notebook
            self.markdown = markdown
            self.bundle = bundle
        }
    }

    /// Exports `runFolder`; returns the paths written, in order.
    /// - Throws: `ExportError` (nothing written when the run folder or an output folder is the problem).
    @discardableResult
    public static func export(runFolder: String, options: Options) throws -> [String] {
        guard options.notebook != nil || options.markdown != nil else {
            throw ExportError.usage("nothing to write: give --notebook OUT.ipynb and/or --markdown OUT.md")
        }
        let outputs = [options.notebook, options.markdown].compactMap { $0 }.map { URL(fileURLWithPath: $0).standardizedFileURL }
        try checkDistinct(notebook: options.notebook, markdown: options.markdown)
        for o in outputs {
            do { try AtomicFile.checkWritable(o.path) } catch {
                throw ExportError.output(path: o.path, reason: "its folder does not exist or is not writable")
            }
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: o.path, isDirectory: &isDir), isDir.boolValue {
                throw ExportError.output(path: o.path, reason: "is a folder")
            }
        }
        let run = try RunExport(folder: runFolder)
        let runDir = resolved(run.folder)

        // Where the Python cells find the run's files.
        let home = outputs[0].deletingLastPathComponent()
        var dataDir = runDir
        var bundleTarget: URL?
        if options.bundle, resolved(home) != runDir {
            let target = home.appendingPathComponent(run.results.run)
            if resolved(target) != runDir {
                bundleTarget = target
                dataDir = resolved(target)
            }
        }

        // Render everything before writing anything.
        var files: [(URL, Data)] = []
        if let nb = options.notebook {
            let url = URL(fileURLWithPath: nb).standardizedFileURL
            let doc = run.document(runPath: relativePath(from: resolved(url.deletingLastPathComponent()), to: dataDir))
            files.append((url, Data(doc.notebook().json().utf8)))
        }
        if let md = options.markdown {
            let url = URL(fileURLWithPath: md).standardizedFileURL
            let doc = run.document(runPath: relativePath(from: resolved(url.deletingLastPathComponent()), to: dataDir))
            let stem = url.deletingPathExtension().lastPathComponent
            for f in doc.figures {
                files.append((url.deletingLastPathComponent().appendingPathComponent(ExportDocument.svgFileName(stem: stem, key: f.key)),
                              Data(f.svg.utf8)))
            }
            files.append((url, Data(doc.markdown(svgStem: stem).utf8)))
        }

        var written: [String] = []
        if let bundleTarget {
            try writeBundle(from: run.folder, to: bundleTarget, run: run.results.run)
            written.append(bundleTarget.path + "/")
        }
        for (url, data) in files {
            do { try AtomicFile.write([data], to: url) } catch {
                throw ExportError.output(path: url.path, reason: "\(error)")
            }
            written.append(url.path)
        }
        return written
    }

    /// Copies the run's bundled files into `target` through a temporary folder renamed into place. An existing
    /// `target` is replaced only when it is a bundle (or run folder) of the same run.
    static func writeBundle(from source: URL, to target: URL, run: String) throws {
        let fm = FileManager.default
        let parent = target.deletingLastPathComponent()
        if fm.fileExists(atPath: target.path) {
            let existing = try? RunExport.runName(of: target)
            guard existing == run else {
                throw ExportError.output(path: target.path, reason: "exists and is not a copy of run \(run); move it away or use --no-bundle")
            }
        }
        do {
            try AtomicFolder.create(target, replacingExisting: true) { tmp in
                try AtomicFolder.copy(bundledFiles, from: source, into: tmp, skipMissing: true)
            }
        } catch {
            throw ExportError.output(path: target.path, reason: "copying the run's files: \(error)")
        }
    }

    /// Keys of the figures a Markdown export may write beside it (`<stem>-<key>.svg`).
    static let figureKeys = ["a-f1-vs-size", "b-layer-sqnr", "c-depth-sqnr", "d-worst-layer-ranges", "e-outlier-channels",
                             "f-outlier-tokens"]

    /// Refuses a notebook and a Markdown file at the same path, or a notebook where one of the Markdown's SVGs goes.
    /// - Throws: `ExportError.usage`.
    static func checkDistinct(notebook: String?, markdown: String?) throws {
        guard let notebook, let markdown else { return }
        let nb = resolved(URL(fileURLWithPath: notebook)), md = resolved(URL(fileURLWithPath: markdown))
        guard nb != md else {
            throw ExportError.usage("--notebook and --markdown are the same file \(nb.path); give two different paths")
        }
        let stem = md.deletingPathExtension().lastPathComponent
        for key in figureKeys {
            let svg = md.deletingLastPathComponent().appendingPathComponent(ExportDocument.svgFileName(stem: stem, key: key))
            if svg == nb {
                throw ExportError.usage("--notebook \(nb.path) is where --markdown writes its figure \(key); give another path")
            }
        }
    }

    /// `url` with symbolic links resolved (for comparing folders).
    static func resolved(_ url: URL) -> URL { url.standardizedFileURL.resolvingSymlinksInPath() }

    /// `target` relative to folder `base` (`../runs/x`), or absolute when they share only `/`.
    public static func relativePath(from base: URL, to target: URL) -> String {
        let b = base.standardizedFileURL.pathComponents, t = target.standardizedFileURL.pathComponents
        var common = 0
        while common < b.count, common < t.count, b[common] == t[common] { common += 1 }
        guard common > 1 else { return target.standardizedFileURL.path }
        let ups = Array(repeating: "..", count: b.count - common)
        let path = (ups + t[common...]).joined(separator: "/")
        return path.isEmpty ? "." : path
    }
}

extension RunExport {
    /// The `run` of a folder's manifest.json, or nil.
    static func runName(of folder: URL) throws -> String? {
        guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent("manifest.json").path),
              let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["run"] as? String
    }
}
