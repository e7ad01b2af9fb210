import Checkpoints
import Foundation
import LayerStats
import _Support

/// Where a statistics file came from: written as root attributes of the HDF5 file.
public struct StatsProvenance: Sendable {
    /// `qbench --version`.
    public var quantbenchVersion: String
    /// `git rev-parse HEAD` of the source tree the binary was built in; nil when unavailable.
    public var gitCommit: String?
    /// UTC creation time (`SOURCE_DATE_EPOCH` when set, for byte-reproducible files).
    public var created: Date
    /// The model folder as given.
    public var modelPath: String
    /// `model.safetensors` or `pytorch_model.bin`.
    public var modelWeightsFile: String
    /// SHA-256 of the weights file.
    public var modelSHA256: String
    /// SHA-256 of `config.json`.
    public var modelConfigSHA256: String
    /// The data file read (the TSV, after resolving a task folder and split).
    public var dataPath: String
    /// SHA-256 of the data file.
    public var dataSHA256: String
    /// The command line, for the record.
    public var command: String

    /// Memberwise; `collect` fills it from the files.
    public init(quantbenchVersion: String, gitCommit: String?, created: Date, modelPath: String, modelWeightsFile: String,
                modelSHA256: String, modelConfigSHA256: String, dataPath: String, dataSHA256: String, command: String) {
        self.quantbenchVersion = quantbenchVersion
        self.gitCommit = gitCommit
        self.created = created
        self.modelPath = modelPath
        self.modelWeightsFile = modelWeightsFile
        self.modelSHA256 = modelSHA256
        self.modelConfigSHA256 = modelConfigSHA256
        self.dataPath = dataPath
        self.dataSHA256 = dataSHA256
        self.command = command
    }

    /// Hashes the model folder's weights (`model.safetensors` or `pytorch_model.bin`) and `config.json`, and the
    /// data file; reads the git commit and the creation time.
    /// - Throws: `LayerStatsError.unreadable` for files that cannot be read.
    public static func collect(modelFolder: String, dataFile: String, version: String, command: String) throws -> StatsProvenance {
        let folder = URL(fileURLWithPath: modelFolder)
        let weights = CheckpointLoader.candidates.map { folder.appendingPathComponent($0).path }
            .first { FileManager.default.fileExists(atPath: $0) } ?? folder.appendingPathComponent("model.safetensors").path
        return StatsProvenance(
            quantbenchVersion: version, gitCommit: BuildInfo.gitCommit, created: creationDate(), modelPath: modelFolder,
            modelWeightsFile: URL(fileURLWithPath: weights).lastPathComponent, modelSHA256: try SHA256.hex(file: weights),
            modelConfigSHA256: try SHA256.hex(file: folder.appendingPathComponent("config.json").path),
            dataPath: dataFile, dataSHA256: try SHA256.hex(file: dataFile), command: command)
    }

    /// `SOURCE_DATE_EPOCH` (reproducible-builds convention) when set, else now.
    public static func creationDate(environment: [String: String] = ProcessInfo.processInfo.environment) -> Date {
        if let s = environment["SOURCE_DATE_EPOCH"], let t = TimeInterval(s) { return Date(timeIntervalSince1970: t) }
        return Date()
    }

    /// ISO-8601 UTC, seconds: `2024-05-01T12:00:00Z`.
    public var createdISO8601: String {
        let f = ISO8601DateFormatter()
        f.timeZone = TimeZone(identifier: "UTC")
        f.formatOptions = [.withInternetDateTime]
        return f.string(from: created)
    }
}
