import Experiments
import Foundation
import RunRecords

extension FuzzTarget {
    /// An experiment file, validated as `qbench sweep --dry-run` does (its `model` replaced by the tiny fixture so
    /// that validation goes past the path check; relative data paths resolve against the checkout).
    static let experimentYAML = FuzzTarget(name: "experiment-yaml", reads: "experiment .yaml") { data in
        _ = try Experiment.load(file: FuzzTarget.file("experiment.yaml", data).path,
                                model: repository.appendingPathComponent("Tests/Fixtures/tiny-random-bert").path,
                                workingDirectory: repository)
    }

    /// A `--scheme FILE`: JSON when the input starts with `{`, else YAML.
    static let schemeFile = FuzzTarget(name: "scheme-file", reads: "scheme .json / .yaml") { data in
        let name = data.first == UInt8(ascii: "{") ? "scheme.json" : "scheme.yaml"
        _ = try SchemeResolver.resolve(FuzzTarget.file(name, data).path)
    }

    /// Run-folder JSON: the input is tried as manifest.json, as results.json and as a predictions file.
    static let runJSON = FuzzTarget(name: "run-json", reads: "manifest.json, results.json, predictions/*.jsonl") { data in
        let folder = scratch.appendingPathComponent("run")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for name in ["manifest.json", "results.json"] {
            FileManager.default.createFile(atPath: folder.appendingPathComponent(name).path, contents: data)
        }
        _ = try? RunManifest.read(runFolder: folder)
        _ = try? SweepResults.read(runFolder: folder)
        _ = try? PredictionSet.parse(data, file: "predictions.jsonl")
    }
}
