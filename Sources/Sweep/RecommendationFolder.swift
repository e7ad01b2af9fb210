import Experiments
import Foundation
import RunRecords
import _Support

/// Writes a `qbench recommend` folder `<output>/recommend-<scheme>-<UTC timestamp>/` atomically (`AtomicFolder`,
/// named like a sweep's run folder: `RunFolder.runID`): `scheme.json` (the recommended `ModelScheme`, which
/// `qbench eval --scheme` reads), `report.json` (`Recommendation`), `report.md` and `manifest.json`
/// (`RecommendationManifest`). An error leaves nothing behind.
public enum RecommendationFolder {
    /// Runs `request` and writes its folder; returns the folder and the recommendation.
    /// - Throws: `ExperimentError` (nothing written) for bad options, data or output folders, and any error of the run.
    public static func runAndWrite(_ request: Recommender.Request, output: String, command: [String],
                                   workingDirectory: URL? = nil,
                                   progress: Recommender.Progress? = nil) throws -> (folder: URL, recommendation: Recommendation) {
        let fm = FileManager.default
        let cwd = workingDirectory ?? URL(fileURLWithPath: fm.currentDirectoryPath)
        let out = (output.hasPrefix("/") ? URL(fileURLWithPath: output) : cwd.appendingPathComponent(output)).standardizedFileURL
        try request.validate()
        let createdOutput = try RunFolder.prepareOutput(out)
        let runID = RunFolder.uniqueRunID(name: "recommend-\(request.scheme.name)", in: out)
        let final = out.appendingPathComponent(runID)
        do {
            let recommendation = try AtomicFolder.create(final) { tmp -> Recommendation in
                let environment = RunEnvironment.capture(numerics: request.numerics)
                let outcome = try Recommender.run(request, run: runID,
                                                  schemeFile: final.appendingPathComponent("scheme.json").path,
                                                  progress: progress)
                let enc = RunManifest.encoder
                let scheme = try enc.encode(outcome.scheme)
                let manifest = RecommendationManifest(
                    run: runID, command: command, modelPath: request.modelPath, dataPath: request.dataPath,
                    calibrationPath: request.calibrationPath,
                    inputs: .init(model: RunManifest.InputPaths.relative(request.modelPath, to: cwd.path),
                                  data: RunManifest.InputPaths.relative(request.dataPath, to: cwd.path),
                                  calibration: RunManifest.InputPaths.relative(request.calibrationPath, to: cwd.path)),
                    numerics: request.numerics, baseScheme: request.scheme, schemeSHA256: SHA256.hex(scheme),
                    batching: request.batching, threads: request.threads, seed: request.seed, files: outcome.files,
                    environment: environment, started: outcome.started, finished: outcome.finished)
                func put(_ name: String, _ data: Data) throws {
                    let url = tmp.appendingPathComponent(name)
                    do { try data.write(to: url) } catch {
                        throw ExperimentError.badPath(path: url.path, reason: "cannot write: \(error.localizedDescription)")
                    }
                }
                try put("scheme.json", scheme)
                try put("report.json", try enc.encode(outcome.recommendation))
                try put("report.md", Data(RecommendationReport.markdown(outcome.recommendation, manifest: manifest).utf8))
                try put("manifest.json", try enc.encode(manifest))
                return outcome.recommendation
            }
            return (final, recommendation)
        } catch {
            throw RunFolder.failed(error, output: out, createdOutput: createdOutput)
        }
    }
}
