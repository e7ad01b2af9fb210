import _TestSupport
import Foundation
import RunRecords
import XCTest
#if canImport(FoundationXML)
import FoundationXML
#endif

/// `qbench export` end to end on the real binary, on a tiny sweep with statistics: a notebook with the
/// nbformat-4 structure (checked here in Swift, always; and by `nbformat.validate` when the Python package is
/// installed, as .ci/run does), every SVG well-formed XML, F1 values as in results.json, byte-identical output
/// on re-export, Python cells that run against the bundled stats.h5 (when h5py, pandas and matplotlib are
/// installed), and one clear error with nothing written for bad input.
final class ExportCLITests: XCTestCase {
    /// The set-up sweep's outcome, run once: its run folder, or the error every test that needs it rethrows.
    nonisolated(unsafe) static var cached: Result<URL, Error>?

    /// A small sweep with statistics on the tiny fixture (FP32, two listed schemes, two ablation variants),
    /// shared by the tests; each test copies what it changes. A failed sweep throws `CLI.Failure`, so each test
    /// that calls this fails with the sweep's message (a broken sweep is a failure, never a skip).
    static func sweep() throws -> URL {
        if let cached { return try cached.get() }
        let result = Result { try makeSweep(model: Fixtures.tinyBert) }
        cached = result
        return try result.get()
    }

    /// Runs `qbench sweep` on the export test config with `model`; returns the one run folder it wrote.
    static func makeSweep(model: URL) throws -> URL {
        let root = try CLI.tempDir()
        let config = root.appendingPathComponent("tiny-export.yaml")
        try """
            name: tiny-export
            description: export test sweep
            model: \(model.path)
            data: {path: \(Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path), split: dev, limit: 16}
            batching: {batch_size: 8, max_seq_length: 64, pad_to_max: false}
            schemes: [pytorch-dynamic, fp16]
            sweep:
              base: q8bert-dynamic
              axes: {requantize_output: [true, false]}
            threads: [1]
            repeats: 1
            statistics: {sensitivity: false}
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let r = try CLI.run(["sweep", config.path])
        guard r.status == 0 else {
            throw CLI.Failure("set-up sweep failed (qbench sweep exited with status \(r.status)): \(r.stderr)")
        }
        let runs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        guard runs.count == 1, let name = runs.first else {
            throw CLI.Failure("set-up sweep: expected one run folder in \(root.path)/runs, found \(runs)")
        }
        return root.appendingPathComponent("runs/\(name)")
    }

    /// A set-up sweep that fails (here: its model folder does not exist) must reach the tests that need it as an
    /// error, so XCTest reports them as failed; it is never turned into a skip.
    func testFailedSetUpSweepIsAnErrorNotASkip() throws {
        let missing = try CLI.tempDir().appendingPathComponent("no-such-model")
        do {
            let folder = try Self.makeSweep(model: missing)
            XCTFail("a sweep of a missing model gave a run folder: \(folder.path)")
        } catch let skip as XCTSkip {
            XCTFail("a failed set-up sweep was turned into a skip: \(skip)")
        } catch {
            XCTAssertTrue("\(error)".contains("no-such-model"), "the error names the sweep's complaint: \(error)")
        }
    }

    func export(_ run: URL, into dir: URL, name: String = "tiny", extra: [String] = []) throws -> CLI.Result {
        try CLI.run(["export", run.path, "--notebook", dir.appendingPathComponent("\(name).ipynb").path,
                     "--markdown", dir.appendingPathComponent("\(name).md").path] + extra)
    }

    func testNotebookStructureFiguresAndNumbers() throws {
        let folder = try Self.sweep()
        let out = try CLI.tempDir()
        let r = try export(folder, into: out)
        XCTAssertEqual(r.status, 0, r.stderr)
        let notebookURL = out.appendingPathComponent("tiny.ipynb")
        let text = try String(contentsOf: notebookURL, encoding: .utf8)
        let nb = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])

        // nbformat 4 structure.
        XCTAssertEqual(nb["nbformat"] as? Int, 4)
        XCTAssertEqual(nb["nbformat_minor"] as? Int, 5)
        let kernel = (nb["metadata"] as? [String: Any])?["kernelspec"] as? [String: Any]
        XCTAssertEqual(kernel?["name"] as? String, "python3")
        let cells = try XCTUnwrap(nb["cells"] as? [[String: Any]])
        var svgs: [String] = []
        var markdown = ""
        var code = ""
        for cell in cells {
            let type = cell["cell_type"] as? String
            XCTAssertTrue(type == "markdown" || type == "code", "cell type \(type ?? "nil")")
            XCTAssertNotNil(cell["id"] as? String)
            XCTAssertNotNil(cell["metadata"] as? [String: Any])
            let source = (cell["source"] as? [String] ?? []).joined()
            if type == "markdown" {
                XCTAssertNil(cell["outputs"])
                markdown += source + "\n"
            } else {
                XCTAssertTrue(cell.keys.contains("execution_count"))
                let outputs = try XCTUnwrap(cell["outputs"] as? [[String: Any]])
                for o in outputs {
                    XCTAssertEqual(o["output_type"] as? String, "display_data")
                    let data = try XCTUnwrap(o["data"] as? [String: Any])
                    svgs.append(try XCTUnwrap(data["image/svg+xml"] as? [String]).joined())
                }
                if outputs.isEmpty { code += source + "\n" }
            }
        }
        XCTAssertEqual(svgs.count, 4, "figures (a)-(d)")
        for (i, svg) in svgs.enumerated() {
            XCTAssertTrue(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""), "figure \(i)")
            XCTAssertTrue(XMLParser(data: Data(svg.utf8)).parse(), "figure \(i) is not well-formed XML")
        }
        XCTAssertTrue(code.contains("RUN = \"\(folder.lastPathComponent)\""), code)
        XCTAssertTrue(markdown.contains("## Run manifest") && markdown.contains("## Published reference rows"))

        // F1 values of results.json (with their intervals) in the table and in figure (a), which draws error bars.
        let results = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("results.json"))) as! [String: Any]
        for s in results["schemes"] as! [[String: Any]] {
            let name = s["scheme"] as! String
            let f1 = (s["metrics"] as! [String: Any])["f1"] as! Double
            let f1Text = String(format: "%.4f", f1)
            let ci = try XCTUnwrap(s["f1_ci95"] as? [Double], name)
            let cell = String(format: "%.4f [%.3f, %.3f]", f1, ci[0], ci[1])
            XCTAssertTrue(markdown.contains("| \(name) | \(cell) |"), "table row of \(name) with F1 \(cell)")
            XCTAssertTrue(svgs[0].contains("\(name)  (F1 \(f1Text),"), "figure (a) legend of \(name) with F1 \(f1Text)")
        }
        XCTAssertTrue(svgs[0].contains("bootstrap interval (B = 1000)"), "figure (a) says what its bars are")
        // The table is results.md's.
        let resultsMD = try String(contentsOf: folder.appendingPathComponent("results.md"), encoding: .utf8)
        let table = resultsMD.components(separatedBy: "## Results\n\n")[1].components(separatedBy: "\n\n")[0]
        XCTAssertTrue(markdown.contains(table))

        // Bundle and Markdown with sibling SVGs.
        let bundle = out.appendingPathComponent(folder.lastPathComponent)
        for f in ["manifest.json", "results.json", "stats.h5"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: bundle.appendingPathComponent(f).path), "bundle lacks \(f)")
        }
        // Every predictions file comes along, so that `qbench reproduce` of the bundle checks every prediction.
        let runPredictions = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("predictions").path).sorted()
        XCTAssertFalse(runPredictions.isEmpty)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: bundle.appendingPathComponent("predictions").path).sorted(),
                       runPredictions)
        let reproduced = try CLI.run(["reproduce", bundle.path, "--repeats", "1"])
        XCTAssertEqual(reproduced.status, 0, reproduced.stdout + reproduced.stderr)
        XCTAssertFalse(reproduced.stdout.contains("MISMATCH"), reproduced.stdout)
        XCTAssertTrue(reproduced.stdout.contains("predictions @1 thread"), reproduced.stdout)
        let md = try String(contentsOf: out.appendingPathComponent("tiny.md"), encoding: .utf8)
        for key in ["a-f1-vs-size", "b-layer-sqnr", "c-depth-sqnr", "d-worst-layer-ranges"] {
            XCTAssertTrue(md.contains("(tiny-\(key).svg)"), key)
            let svg = try Data(contentsOf: out.appendingPathComponent("tiny-\(key).svg"))
            XCTAssertTrue(XMLParser(data: svg).parse(), key)
        }

        // Same run folder, same bytes.
        let again = try CLI.tempDir()
        XCTAssertEqual(try export(folder, into: again).status, 0)
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("tiny.ipynb")), try Data(contentsOf: notebookURL))
        XCTAssertEqual(try Data(contentsOf: again.appendingPathComponent("tiny.md")), try Data(contentsOf: out.appendingPathComponent("tiny.md")))
        // Exporting over an existing bundle replaces it.
        XCTAssertEqual(try export(folder, into: out).status, 0)
        XCTAssertFalse(try FileManager.default.contentsOfDirectory(atPath: out.path).contains { $0.hasPrefix(".") }, "temporary files left")

    }

    /// The official nbformat schema (`nbformat.validate`) accepts the notebooks with and without stats.h5.
    func testNotebooksPassNbformatValidation() throws {
        guard python(["-c", "import nbformat"]).status == 0 else { throw XCTSkip("nbformat not installed: schema validation skipped") }
        let folder = try Self.sweep()
        let out = try CLI.tempDir()
        XCTAssertEqual(try export(folder, into: out).status, 0)
        let copy = try CLI.tempDir().appendingPathComponent(folder.lastPathComponent)
        try FileManager.default.copyItem(at: folder, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("stats.h5"))
        XCTAssertEqual(try export(copy, into: out, name: "nostats", extra: ["--no-bundle"]).status, 0)
        for name in ["tiny", "nostats"] {
            let r = python(["-c", "import nbformat, sys; nbformat.validate(nbformat.read(sys.argv[1], as_version=4)); print('valid')",
                            out.appendingPathComponent("\(name).ipynb").path])
            XCTAssertEqual(r.status, 0, r.output)
        }
    }

    /// The code cells run in order with the notebook's folder as working directory, as Jupyter runs them.
    func testNotebookCodeCellsRunAgainstTheBundledStatistics() throws {
        guard python(["-c", "import h5py, pandas, matplotlib"]).status == 0 else {
            throw XCTSkip("h5py, pandas or matplotlib not installed: code cells not executed")
        }
        let out = try CLI.tempDir()
        XCTAssertEqual(try export(try Self.sweep(), into: out).status, 0)
        let notebook = out.appendingPathComponent("tiny.ipynb")
        let script = """
        import json, os, sys
        import matplotlib
        matplotlib.use("Agg")
        nb = json.load(open(sys.argv[1]))
        os.chdir(os.path.dirname(os.path.abspath(sys.argv[1])))
        env = {}
        for cell in nb["cells"]:
            if cell["cell_type"] == "code" and "skip-execution" not in cell["metadata"].get("tags", []):
                exec(compile("".join(cell["source"]), "cell", "exec"), env)
        assert len(env["layer_sqnr"]) == len(env["layer_names"]) > 0
        print("executed")
        """
        let r = python(["-c", script, notebook.path])
        XCTAssertEqual(r.status, 0, r.output)
    }

    func testRunWithoutStatisticsStillExports() throws {
        let folder = try Self.sweep()
        let copy = try CLI.tempDir().appendingPathComponent(folder.lastPathComponent)
        try FileManager.default.copyItem(at: folder, to: copy)
        try FileManager.default.removeItem(at: copy.appendingPathComponent("stats.h5"))
        let out = try CLI.tempDir()
        let r = try export(copy, into: out, extra: ["--no-bundle"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let text = try String(contentsOf: out.appendingPathComponent("tiny.ipynb"), encoding: .utf8)
        XCTAssertEqual(text.components(separatedBy: "\"image/svg+xml\"").count - 1, 1, "only figure (a)")
        XCTAssertTrue(text.contains("Per-layer output SQNR by depth**: absent, the manifest lists stats.h5 but the run folder has none"), text)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.appendingPathComponent(copy.lastPathComponent).path), "--no-bundle")
    }

    /// A run recorded before error bars (no `bootstrap`, `f1_ci95`, … in results.json) still exports: plain F1
    /// cells, no McNemar column, no error bars.
    func testRunWithoutIntervalsStillExports() throws {
        let folder = try Self.sweep()
        let copy = try CLI.tempDir().appendingPathComponent(folder.lastPathComponent)
        try FileManager.default.copyItem(at: folder, to: copy)
        var results = try SweepResults.read(runFolder: copy)
        results.bootstrap = nil
        for i in results.schemes.indices {
            results.schemes[i].f1CI95 = nil
            results.schemes[i].accuracyCI95 = nil
            results.schemes[i].deltaF1CI95 = nil
            results.schemes[i].mcnemarP = nil
            results.schemes[i].vsSweepBase = nil
        }
        let data = try RunManifest.encoder.encode(results)
        XCTAssertFalse(String(decoding: data, as: UTF8.self).contains("ci95"))
        try data.write(to: copy.appendingPathComponent("results.json"))
        let out = try CLI.tempDir()
        let r = try export(copy, into: out, extra: ["--no-bundle"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let md = try String(contentsOf: out.appendingPathComponent("tiny.md"), encoding: .utf8)
        let fp32 = results.schemes[0]
        XCTAssertTrue(md.contains("| \(fp32.scheme) | " + String(format: "%.4f", fp32.metrics!.f1) + " | "), md)
        XCTAssertFalse(md.contains("| McNemar p vs FP32 |") || md.contains("Brackets:"), md)
        let svg = try String(contentsOf: out.appendingPathComponent("tiny-a-f1-vs-size.svg"), encoding: .utf8)
        XCTAssertFalse(svg.contains("bootstrap"), svg)
    }

    func testBadInputFailsWithOneMessageAndWritesNothing() throws {
        let folder = try Self.sweep()
        let root = try CLI.tempDir()
        func broken(_ name: String, _ change: (URL) throws -> Void) throws -> URL {
            let dir = root.appendingPathComponent(name)
            try FileManager.default.copyItem(at: folder, to: dir)
            try change(dir)
            return dir
        }
        let cases: [(URL, String)] = [
            (root.appendingPathComponent("nope"), "no such folder"),
            (try broken("no-results") { try FileManager.default.removeItem(at: $0.appendingPathComponent("results.json")) }, "missing results.json"),
            (try broken("no-manifest") { try FileManager.default.removeItem(at: $0.appendingPathComponent("manifest.json")) }, "no manifest.json"),
            (try broken("garbled-manifest") { try Data("{\"schema_version\": 1, ".utf8).write(to: $0.appendingPathComponent("manifest.json")) }, "manifest.json"),
            (try broken("garbled-results") { try Data("[1, 2".utf8).write(to: $0.appendingPathComponent("results.json")) }, "results.json"),
            (try broken("corrupt-stats") { try Data(repeating: 0x42, count: 4096).write(to: $0.appendingPathComponent("stats.h5")) }, "stats.h5: unreadable statistics file"),
            (try broken("truncated-stats") { dir in
                let url = dir.appendingPathComponent("stats.h5")
                let data = try Data(contentsOf: url)
                try data.prefix(data.count / 3).write(to: url)
            }, "stats.h5"),
        ]
        for (dir, message) in cases {
            let out = try CLI.tempDir()
            let r = try export(dir, into: out)
            XCTAssertNotEqual(r.status, 0, "\(dir.lastPathComponent) should fail")
            XCTAssertTrue(r.stderr.contains(message), "\(dir.lastPathComponent): \(r.stderr)")
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count, 1, r.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [], "\(dir.lastPathComponent) wrote output")
        }
        // An output folder that does not exist: early error, nothing written.
        let r = try CLI.run(["export", folder.path, "--notebook", root.appendingPathComponent("missing/x.ipynb").path])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("does not exist or is not writable"), r.stderr)
        XCTAssertNotEqual(try CLI.run(["export", folder.path]).status, 0, "no output given")
    }

    func python(_ args: [String]) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3"] + args
        var env = ProcessInfo.processInfo.environment
        env["MPLBACKEND"] = "Agg"
        p.environment = env
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (-1, "\(error)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// A `run` field with `../` must not become the bundle's folder name (it would escape the output's folder).
    func testRunNameFromFileCannotEscapeTheOutputFolder() throws {
        let folder = try Self.sweep()
        let root = try CLI.tempDir()
        for file in ["manifest.json", "results.json"] {
            let dir = root.appendingPathComponent("evil-\(file)")
            try FileManager.default.copyItem(at: folder, to: dir)
            let url = dir.appendingPathComponent(file)
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            object["run"] = "../../escaped"
            try JSONSerialization.data(withJSONObject: object).write(to: url)
            let out = root.appendingPathComponent("out-\(file)/nb")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let r = try export(dir, into: out)
            XCTAssertEqual(r.status, 1, r.stderr)
            XCTAssertTrue(r.stderr.contains("\(file): key run:"), r.stderr)
            XCTAssertEqual(r.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count, 1, r.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
            XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("escaped").path))
        }
    }

    /// The notebook and the Markdown (or one of its SVGs) at one path: a usage error, exit 64, nothing written.
    func testCollidingOutputsAreAUsageError() throws {
        let folder = try Self.sweep()
        let out = try CLI.tempDir()
        let same = out.appendingPathComponent("x.md").path
        let svg = out.appendingPathComponent("x-b-layer-sqnr.svg").path
        for notebook in [same, svg] {
            let r = try CLI.run(["export", folder.path, "--notebook", notebook, "--markdown", same])
            XCTAssertEqual(r.status, 64, r.stderr)
            XCTAssertTrue(r.stderr.contains("--notebook"), r.stderr)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
        }
    }
}
