import Experiments
import Foundation
import _Support
import RunRecords

/// Writes a sweep's run folder `<output>/<name>-<UTC timestamp>/` atomically (`AtomicFolder`): everything goes
/// into a hidden temporary folder beside it, which is renamed into place only when the run and every file succeeded. An error
/// leaves nothing behind (the temporary folder is removed, and so is an output folder the run created).
///
/// Contents: `results.json`, `results.csv`, `results.md`, `manifest.json`, `CITATION.cff`, `citation.bib`,
/// `experiment.yaml` (the config file as read), `predictions/<scheme>.threads-<n>.jsonl`, `stats.h5` when the
/// config asks for statistics, and `qat/<scheme>+qat/` (a quantized model
/// folder `qbench eval --model` reads) for every QAT row.
public enum RunFolder {
    /// The run folder's name: `<name>-<yyyyMMdd'T'HHmmss'Z'>`.
    public static func runID(name: String, date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        return "\(name)-\(f.string(from: date))"
    }

    /// Runs `experiment` and writes its folder; returns the folder's URL.
    /// - Throws: `ExperimentError` (nothing written) when the output folder cannot be created or written, or
    ///   any error of the run.
    public static func runAndWrite(_ experiment: Experiment, command: [String], workingDirectory: URL? = nil,
                                   progress: SweepRunner.Progress? = nil) throws -> URL {
        let fm = FileManager.default
        let cwd = workingDirectory ?? URL(fileURLWithPath: fm.currentDirectoryPath)
        let o = experiment.config.output
        let output = (o.hasPrefix("/") ? URL(fileURLWithPath: o) : cwd.appendingPathComponent(o)).standardizedFileURL
        let createdOutput = try prepareOutput(output)
        let runID = uniqueRunID(name: experiment.config.name, in: output)
        let final = output.appendingPathComponent(runID)
        do {
            try AtomicFolder.create(final) { tmp in
                try fm.createDirectory(at: tmp.appendingPathComponent("predictions"), withIntermediateDirectories: true)
                let environment = RunEnvironment.capture(numerics: experiment.numerics)   // git state as the run starts
                let outcome = try SweepRunner.run(experiment, runID: runID,
                                                  statisticsURL: tmp.appendingPathComponent("stats.h5"), command: command,
                                                  qatDirectory: tmp.appendingPathComponent("qat"), progress: progress)
                let manifest = try RunManifest.make(experiment: experiment, outcome: outcome, command: command,
                                                    environment: environment, projectRoot: cwd.path)
                try write(outcome: outcome, manifest: manifest, experiment: experiment, into: tmp)
            }
            return final
        } catch {
            throw failed(error, output: output, createdOutput: createdOutput)
        }
    }

    /// After a failed run: removes `output` when the run created it (`createdOutput`) and it is still empty, and
    /// returns the error to throw (an `AtomicFolder` write failure as `ExperimentError.badPath`).
    static func failed(_ error: Error, output: URL, createdOutput: Bool) -> Error {
        let fm = FileManager.default
        if createdOutput, (try? fm.contentsOfDirectory(atPath: output.path))?.isEmpty == true {
            try? fm.removeItem(at: output)
        }
        if case let SupportError.writeFailed(path, reason) = error { return ExperimentError.badPath(path: path, reason: reason) }
        return error
    }

    /// Writes every file of the run into `folder` (which exists).
    static func write(outcome: SweepRunner.Outcome, manifest: RunManifest, experiment: Experiment, into folder: URL) throws {
        let enc = RunManifest.encoder
        func put(_ name: String, _ data: Data) throws {
            do { try data.write(to: folder.appendingPathComponent(name)) } catch {
                throw ExperimentError.badPath(path: folder.appendingPathComponent(name).path, reason: "cannot write: \(error.localizedDescription)")
            }
        }
        try put("results.json", try enc.encode(outcome.results))
        try put("results.csv", Data(ResultsReport.csv(outcome.results).utf8))
        try put("results.md", Data(ResultsReport.markdown(outcome.results, manifest: manifest).utf8))
        try put("CITATION.cff", Data(RunCitation.cff(manifest).utf8))
        try put("citation.bib", Data(RunCitation.bibtex(manifest).utf8))
        if let source = experiment.source { try put("experiment.yaml", Data(source.text.utf8)) }
        for (scheme, byThreads) in outcome.predictions {
            for (t, set) in byThreads {
                try put("predictions/" + PredictionSet.fileName(scheme: scheme, threads: t), set.jsonLines())
            }
        }
        try put("manifest.json", try enc.encode(manifest))
    }

    /// Creates `output` when missing (returns true then); fails early when it cannot hold a run.
    static func prepareOutput(_ output: URL) throws -> Bool {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: output.path, isDirectory: &isDir) {
            guard isDir.boolValue else { throw ExperimentError.badPath(path: output.path, reason: "output is not a folder") }
            guard fm.isWritableFile(atPath: output.path) else {
                throw ExperimentError.badPath(path: output.path, reason: "output folder is not writable")
            }
            return false
        }
        do { try fm.createDirectory(at: output, withIntermediateDirectories: true) } catch {
            throw ExperimentError.badPath(path: output.path, reason: "cannot create the output folder: \(error.localizedDescription)")
        }
        return true
    }

    /// `runID(name:date:)` now, with `-2`, `-3`… when a folder of that name exists (two runs in one second).
    static func uniqueRunID(name: String, in output: URL) -> String {
        let base = runID(name: name, date: Date())
        var id = base
        var n = 2
        while FileManager.default.fileExists(atPath: output.appendingPathComponent(id).path) {
            id = "\(base)-\(n)"
            n += 1
        }
        return id
    }
}
