import Experiments
import Foundation
import RunRecords
import _Support

extension SweepPlan {
    /// `DIR/plan.json`.
    public static func url(runDirectory: URL) -> URL { runDirectory.appendingPathComponent("plan.json") }

    /// Reads `DIR/plan.json`; nil when there is none.
    /// - Throws: `ExperimentError.config` naming the file and key of a malformed plan.
    public static func read(runDirectory: URL) throws -> SweepPlan? {
        let url = url(runDirectory: runDirectory)
        guard let data = FileManager.default.contents(atPath: url.path) else { return nil }
        let plan: SweepPlan
        do { plan = try JSONDecoder().decode(SweepPlan.self, from: data) } catch {
            throw ExperimentError.config(file: url.path, keyPath: DecodingErrorText.keyPath(error), line: nil,
                                         message: DecodingErrorText.message(error))
        }
        guard plan.schemaVersion == 1, plan.kind == "quantbench.sweep-plan" else {
            throw ExperimentError.config(file: url.path, keyPath: "schema_version", line: nil,
                                         message: "unsupported plan \(plan.kind) v\(plan.schemaVersion); expected quantbench.sweep-plan v1")
        }
        try PathComponent.check(plan.run, file: url.path, keyPath: "run")
        for (i, c) in plan.cells.enumerated() {
            func bad(_ key: String, _ message: String) -> ExperimentError {
                .config(file: url.path, keyPath: "cells[\(i)].\(key)", line: nil, message: message)
            }
            if c.index != i { throw bad("index", "\(c.index); expected \(i)") }
            let kinds = i == 0 ? ["baseline"] : ["scheme", "sweep", "qat", "statistics"]
            if !kinds.contains(c.kind) { throw bad("kind", "'\(c.kind)'; expected " + kinds.joined(separator: ", ")) }
            if c.rows.count != (c.kind == "statistics" ? 0 : 1) {
                throw bad("rows", "\(c.rows.count) rows; expected \(c.kind == "statistics" ? "none" : "one")")
            }
        }
        if plan.cells.isEmpty {
            throw ExperimentError.config(file: url.path, keyPath: "cells", line: nil, message: "empty; expected the FP32 cell at least")
        }
        return plan
    }

    /// Reads `DIR/plan.json`, which must exist.
    public static func require(runDirectory: URL) throws -> SweepPlan {
        guard let plan = try read(runDirectory: runDirectory) else {
            throw ExperimentError.badPath(path: runDirectory.path,
                                          reason: "no plan.json: not a run directory of `qbench sweep CONFIG --run-dir` or `qbench slurm submit`")
        }
        return plan
    }

    /// Makes this plan the run directory's: writes `DIR/plan.json` when there is none (atomically, and only if no
    /// other process wrote one first: `link(2)` refuses to replace), else checks that the existing plan is this
    /// config's and returns it (its run id wins).
    /// - Throws: `ExperimentError.config` naming `plan.json` when the directory holds the plan of another config.
    public func establish(in runDirectory: URL) throws -> SweepPlan {
        if let existing = try Self.read(runDirectory: runDirectory) {
            try existing.checkSameSweep(as: self, file: Self.url(runDirectory: runDirectory))
            return existing
        }
        let fm = FileManager.default
        let staging = SweepCells.stagingDirectory(runDirectory)
        do { try fm.createDirectory(at: staging, withIntermediateDirectories: true) } catch {
            throw ExperimentError.badPath(path: runDirectory.path, reason: "cannot create the run directory: \(error.localizedDescription)")
        }
        let mine = staging.appendingPathComponent("plan-\(getpid())-\(UUID().uuidString).json")
        do { try AtomicFile.write(try RunManifest.encoder.encode(self), to: mine.path) } catch {
            throw ExperimentError.badPath(path: Self.url(runDirectory: runDirectory).path, reason: "cannot write: \(error)")
        }
        defer { unlink(mine.path) }
        if link(mine.path, Self.url(runDirectory: runDirectory).path) == 0 { return self }
        guard errno == EEXIST, let existing = try Self.read(runDirectory: runDirectory) else {
            throw ExperimentError.badPath(path: Self.url(runDirectory: runDirectory).path,
                                          reason: "cannot write: \(String(cString: strerror(errno)))")
        }
        try existing.checkSameSweep(as: self, file: Self.url(runDirectory: runDirectory))
        return existing
    }

    /// Throws when `other` is not the same sweep (config bytes, `--model`, cells).
    func checkSameSweep(as other: SweepPlan, file: URL) throws {
        func refuse(_ key: String, _ what: String) -> ExperimentError {
            .config(file: file.path, keyPath: key, line: nil,
                    message: "\(what); this run directory belongs to another sweep, use a new --run-dir")
        }
        if configSHA256 != other.configSHA256 {
            throw refuse("config_sha256", "the plan's config has sha256 \(configSHA256.prefix(16))…, "
                         + "\(other.config) has \(other.configSHA256.prefix(16))…")
        }
        if model != other.model {
            throw refuse("model", "the plan's --model is \(model ?? "(the config's)"), this one \(other.model ?? "(the config's)")")
        }
        if cells != other.cells {
            throw refuse("cells", "the plan has \(cells.count) cells, this build plans \(other.cells.count) for the same config")
        }
    }
}
