import BERT
import Foundation
import Quantization
import RunRecords
import TensorCore
import Yams
import _Support

/// A validated experiment: the config, its absolute paths and the full list of schemes to run (FP32 first, then
/// `schemes`, then the sweep's variants). Everything a run needs has been checked; nothing has been written.
public struct Experiment: Sendable {
    /// The config as written.
    public var config: ExperimentConfig
    /// The file it came from (for messages and the manifest), its text and sha256; nil when built in code.
    public var source: Source?
    /// Absolute model folder.
    public var modelPath: String
    /// Absolute data path (TSV file or task folder).
    public var dataPath: String
    /// Absolute calibration data path.
    public var calibrationPath: String
    /// Every scheme in run order: `fp32` first.
    public var schemes: [ModelScheme]
    /// The sweep's generated schemes with their factor levels (also in `schemes`).
    public var variants: [SweepVariant]
    /// Quantization-aware-training rows, run after `schemes` (not in `schemes`).
    public var qat: [QATEntry] = []
    /// Keep going when the model's weights or logits hold NaN or ±Inf (`--allow-nonfinite`; recorded in the
    /// run's manifest). Not part of the experiment file.
    public var allowNonFinite = false

    /// An experiment file as read.
    public typealias Source = ExperimentSource

    /// The FP32 numerics a run of this experiment uses: the config's `numerics`, `reproducible` when absent.
    public var numerics: NumericsMode { config.numerics ?? .reproducible }

    /// True when some scheme needs a calibration pass.
    public var needsCalibration: Bool { schemes.contains { $0.requiresCalibration } }

    /// Reads, strictly validates and resolves an experiment file.
    ///
    /// - Parameter model: a model folder that replaces the file's `model` before anything is validated (the
    ///   `--model` option): the file's own path need not exist then.
    /// - Throws: `ExperimentError.config` naming the file, the key path, the line and the expected type for an
    ///   unknown key (at any level), a wrong type, an unknown scheme, a missing model or data path.
    public static func load(file: String, model: String? = nil, workingDirectory: URL? = nil) throws -> Experiment {
        guard let bytes = FileManager.default.contents(atPath: file) else {
            throw ExperimentError.badPath(path: file, reason: "cannot read the experiment file")
        }
        guard let text = String(data: bytes, encoding: .utf8) else {
            throw ExperimentError.config(file: file, keyPath: "(top level)", line: nil, message: "not UTF-8 text")
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else {
                throw ExperimentError.config(file: file, keyPath: "(top level)", line: nil,
                                             message: "empty file; expected \(ExperimentConfig.shape.expected)")
            }
            root = node
        } catch let e as ExperimentError {
            throw e
        } catch let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _) {
            throw ExperimentError.config(file: file, keyPath: "(syntax)", line: mark.line, message: "YAML syntax error: \(problem)")
        } catch {
            throw ExperimentError.config(file: file, keyPath: "(syntax)", line: nil, message: "YAML error: \(error)")
        }
        do {
            try ExperimentConfig.shape.check(root, path: "")
        } catch let issue as ConfigShape.Issue {
            throw ExperimentError.config(file: file, keyPath: issue.keyPath, line: issue.line, message: issue.message)
        }
        var config: ExperimentConfig
        do {
            config = try YAMLDecoder().decode(ExperimentConfig.self, from: text)
        } catch {
            throw decodingError(error, file: file)
        }
        let source = Source(path: file, text: text, sha256: SHA256.hex(bytes))
        guard let model else {
            return try resolve(config, source: source, reportAs: file, workingDirectory: workingDirectory)
        }
        config.model = model
        return try resolve(config, source: source, reportAs: "\(file) with --model \(model)",
                           workingDirectory: workingDirectory)
    }

    /// Validates `config` and resolves its paths and schemes.
    /// - Parameters:
    ///   - schemes: the exact schemes to run (a manifest's), instead of resolving names from the registry.
    ///   - reportAs: the file named in errors; `keyPrefix` is put before key paths (`config.` for a manifest).
    public static func resolve(_ config: ExperimentConfig, source: Source?, reportAs: String, keyPrefix: String = "",
                               schemes fixedSchemes: [ModelScheme]? = nil, paths: (model: String, data: String, calibration: String)? = nil,
                               workingDirectory: URL? = nil) throws -> Experiment {
        func fail(_ key: String, _ message: String) -> ExperimentError {
            .config(file: reportAs, keyPath: keyPrefix + key, line: source.flatMap { lineOf(key, in: $0.text) }, message: message)
        }
        let cwd = workingDirectory ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        func absolute(_ p: String) -> String {
            (p.hasPrefix("/") ? URL(fileURLWithPath: p) : cwd.appendingPathComponent(p)).standardizedFileURL.path
        }
        guard !config.name.isEmpty, config.name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw fail("name", "'\(config.name)' is not a valid run name; expected letters, digits, '.', '_' or '-'")
        }

        // The bounds of the experiment shape, again: a manifest's config is decoded without it.
        if config.batching.batchSize < 1 {
            throw fail("batching.batch_size", "\(config.batching.batchSize); expected an integer ≥ 1")
        }
        if config.batching.maxSeqLength < 3 {
            throw fail("batching.max_seq_length", "\(config.batching.maxSeqLength); expected an integer ≥ 3")
        }
        if config.data.limit < 0 { throw fail("data.limit", "\(config.data.limit); expected an integer ≥ 0") }
        if config.threads.isEmpty { throw fail("threads", "an empty list; expected a non-empty list of integers ≥ 1") }
        for (i, n) in config.threads.enumerated() {
            if let problem = Limits.threadsProblem(n) { throw fail("threads[\(i)]", problem) }
        }
        if Set(config.threads).count != config.threads.count {
            throw fail("threads", "\(config.threads) lists a thread count twice; expected distinct thread counts")
        }
        if config.repeats < 1 { throw fail("repeats", "\(config.repeats); expected an integer ≥ 1") }
        if config.calibration.examples < 1 {
            throw fail("calibration.examples", "\(config.calibration.examples); expected an integer ≥ 1")
        }
        if let s = config.statistics, s.examples < 0 {
            throw fail("statistics.examples", "\(s.examples); expected an integer ≥ 0")
        }
        for (i, q) in config.qat.enumerated() {
            if q.epochs < 1 { throw fail("qat[\(i)].epochs", "\(q.epochs); expected an integer ≥ 1") }
            if q.batchSize < 1 { throw fail("qat[\(i)].batch_size", "\(q.batchSize); expected an integer ≥ 1") }
        }

        // Schemes: fp32 baseline, listed schemes, sweep variants.
        var schemes: [ModelScheme] = [.fp32]
        var variants: [SweepVariant] = []
        var named: [(key: String, name: String)] = []   // every name that becomes a file or an HDF5 group
        if let fixedSchemes {
            schemes = fixedSchemes
            named = fixedSchemes.enumerated().map { ("schemes[\($0.offset)]", $0.element.name) }
        } else {
            for (i, entry) in config.schemes.enumerated() {
                let s = try scheme(entry, key: "schemes[\(i)]", fail: fail)
                if s.name == "fp32", s == .fp32 { continue }
                guard !schemes.contains(where: { $0.name == s.name }) else {
                    throw fail("schemes[\(i)]", "scheme name '\(s.name)' is used twice; expected unique names")
                }
                schemes.append(s)
                named.append(("schemes[\(i)]", s.name))
            }
            if let sweep = config.sweep {
                let base = try scheme(sweep.base, key: "sweep.base", fail: fail)
                do { variants = try sweep.expand(base: base) } catch let ExperimentError.config(_, keyPath, _, message) {
                    throw fail(keyPath, message)
                } catch let e as ExperimentError {
                    throw fail("sweep.base", "\(e)")
                } catch let e as QuantizationError {
                    throw fail("sweep", "a generated scheme is invalid: \(e)")
                }
                for v in variants {
                    guard !schemes.contains(where: { $0.name == v.scheme.name }) else {
                        throw fail("sweep.name", "generated name '\(v.scheme.name)' collides with another scheme; "
                                   + "expected a different sweep name")
                    }
                    schemes.append(v.scheme)
                    named.append(("sweep.name", v.scheme.name))
                }
            }
        }

        // Paths.
        let modelPath = paths?.model ?? absolute(config.model)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: modelPath, isDirectory: &isDir) else {
            throw fail("model", "\(modelPath) does not exist; expected a path to a model folder "
                       + "(config.json, model.safetensors or pytorch_model.bin, tokenizer.json or vocab.txt)")
        }
        guard isDir.boolValue, FileManager.default.fileExists(atPath: modelPath + "/config.json") else {
            throw fail("model", "\(modelPath) is not a model folder; expected a folder with config.json, weights and tokenizer files")
        }
        let dataPath = paths?.data ?? absolute(config.data.path)
        try checkData(dataPath, split: config.data.split, key: "data", fail: fail)
        let calibrationPath = paths?.calibration ?? config.calibration.data.map(absolute) ?? dataPath
        if schemes.contains(where: \.requiresCalibration) {
            try checkData(calibrationPath, split: config.calibration.split, key: "calibration", fail: fail)
        }
        var qat: [QATEntry] = []
        for (i, spec) in config.qat.enumerated() {
            let key = "qat[\(i)]"
            let s = try scheme(spec.scheme, key: "\(key).scheme", fail: fail)
            guard !s.layerSchemes.isEmpty else {
                throw fail("\(key).scheme", "scheme \(s.name) quantizes nothing; expected a quantized scheme for QAT")
            }
            guard s.smoothQuant == nil else {
                throw fail("\(key).scheme", "scheme \(s.name) applies SmoothQuant, which QAT does not train yet; "
                           + "expected a scheme without smooth_quant")
            }
            guard spec.lr > 0, spec.lr.isFinite else { throw fail("\(key).lr", "\(spec.lr); expected a positive number") }
            let dataPath = spec.data.map(absolute) ?? config.calibration.data.map(absolute) ?? dataPath
            try checkData(dataPath, split: spec.split, key: "\(key).data", fail: fail)
            let entry = QATEntry(spec: spec, scheme: s, dataPath: dataPath)
            guard !schemes.contains(where: { $0.name == entry.name }), !qat.contains(where: { $0.name == entry.name }) else {
                throw fail(key, "row name '\(entry.name)' is used twice; expected one QAT entry per scheme")
            }
            qat.append(entry)
            named.append((key, entry.name))
        }
        try checkFileNames(named, fail: fail)
        let bert = try BertConfiguration.load(URL(fileURLWithPath: modelPath).appendingPathComponent("config.json"))
        guard config.batching.maxSeqLength <= bert.maxSequenceLength else {
            throw fail("batching.max_seq_length", "\(config.batching.maxSeqLength) exceeds the model's "
                       + "max_position_embeddings \(bert.maxPositionEmbeddings); expected an integer ≤ \(bert.maxSequenceLength)")
        }
        return Experiment(config: config, source: source, modelPath: modelPath, dataPath: dataPath,
                          calibrationPath: calibrationPath, schemes: schemes, variants: variants, qat: qat)
    }

    /// Scheme and row names become file names (`predictions/<name>.threads-<n>.jsonl`) and HDF5 groups
    /// (`/schemes/<name>`): each must be a safe path component (`PathComponent`), and no two may map to one file.
    static func checkFileNames(_ named: [(key: String, name: String)], fail: (String, String) -> Error) throws {
        var files: [String: String] = [:]
        for (key, name) in named {
            guard PathComponent.isSafe(name) else {
                throw fail(key, "scheme name '\(name.prefix(80))' is not a safe file name; expected letters, digits, "
                           + "'.', '_', '-', '+', '@' or '=' (not starting with '.' or '-')")
            }
            let file = PredictionSet.fileName(scheme: name, threads: 1)
            if let other = files[file], other != name {
                throw fail(key, "scheme name '\(name)' and '\(other)' would share the predictions file \(file); "
                           + "expected names that differ in more than '+' and '_'")
            }
            files[file] = name
        }
    }

    private static func scheme(_ entry: SchemeEntry, key: String, fail: (String, String) -> ExperimentError) throws -> ModelScheme {
        let s: ModelScheme
        do { s = try entry.resolve() } catch QuantizationError.unknownScheme(let name, let registered) {
            throw fail(key, "unknown scheme '\(JSONDecoding.quoted(name))'; expected a registered scheme name (\(registered.joined(separator: ", "))) "
                       + "or an inline scheme mapping")
        }
        do { try s.validate() } catch let QuantizationError.invalidScheme(field, reason) {
            throw fail("\(key).\(field)", "invalid scheme \(s.name): \(reason)")
        }
        return s
    }

    private static func checkData(_ path: String, split: String, key: String, fail: (String, String) -> ExperimentError) throws {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw fail(key == "data" ? "data.path" : key == "calibration" ? "calibration.data" : key,
                       "\(path) does not exist; expected a TSV file or a GLUE task folder")
        }
        if isDir.boolValue, !FileManager.default.fileExists(atPath: path + "/\(split).tsv") {
            throw fail(key.hasSuffix(".data") ? String(key.dropLast(5)) + ".split" : "\(key).split", "\(path) has no \(split).tsv; expected the name of a split in that folder")
        }
    }

    /// The file a split is read from.
    public static func dataFile(_ path: String, split: String) -> String {
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue {
            return (path as NSString).appendingPathComponent("\(split).tsv")
        }
        return path
    }

    /// `ExperimentError.config` for a `DecodingError` (key path as `a.b[2].c`, `DecodingErrorText`).
    public static func decodingError(_ error: Error, file: String) -> ExperimentError {
        .config(file: file, keyPath: DecodingErrorText.keyPath(error), line: nil, message: DecodingErrorText.message(error))
    }

    /// Best-effort line of a top-level or nested key (`data.path` → the line of `path:` under `data:`).
    static func lineOf(_ keyPath: String, in text: String) -> Int? {
        let first = keyPath.split(separator: ".").first.map { String($0.split(separator: "[").first ?? $0) } ?? keyPath
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
        where line.hasPrefix(first + ":") {
            return i + 1
        }
        return nil
    }
}
