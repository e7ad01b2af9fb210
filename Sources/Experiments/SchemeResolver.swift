import Foundation
import Quantization
import RunRecords
import Yams
import _Support

/// Turns what a user typed after `--scheme` into a `ModelScheme`: a registered name, or a JSON/YAML file
/// holding one scheme (the same keys as the registry's presets, see `docs/schemes.md`).
public enum SchemeResolver {
    public static func resolve(_ nameOrPath: String) throws -> ModelScheme {
        let lower = nameOrPath.lowercased()
        let looksLikeFile = lower.hasSuffix(".json") || lower.hasSuffix(".yaml") || lower.hasSuffix(".yml")
            || nameOrPath.contains("/")
        guard looksLikeFile else { return try SchemeRegistry.scheme(named: nameOrPath) }
        guard let data = FileManager.default.contents(atPath: nameOrPath) else {
            throw ExperimentError.badPath(path: nameOrPath, reason: "cannot read scheme file")
        }
        try checkShape(data, file: nameOrPath)
        let scheme: ModelScheme
        do {
            if lower.hasSuffix(".json") {
                scheme = try JSONDecoder().decode(ModelScheme.self, from: data)
            } else {
                scheme = try YAMLDecoder().decode(ModelScheme.self, from: data)
            }
        } catch let e as QuantizationError {
            throw ExperimentError.badPath(path: nameOrPath, reason: "\(e)")
        } catch {
            throw ExperimentError.badPath(path: nameOrPath, reason: "not a valid scheme: \(DecodingErrorText.describe(error))")
        }
        do { try scheme.validate() } catch {
            throw ExperimentError.badPath(path: nameOrPath, reason: "\(error)")
        }
        // The name becomes an HDF5 group (`qbench stats`) and a predictions file name.
        guard PathComponent.isSafe(scheme.name) else {
            throw ExperimentError.config(file: nameOrPath, keyPath: "name", line: nil,
                                         message: "'\(scheme.name.prefix(80))' is not a safe file name; expected letters, "
                                             + "digits, '.', '_', '-', '+', '@' or '=' (not starting with '.' or '-')")
        }
        return scheme
    }

    /// Strict keys, as for inline schemes in experiment files: an unknown or misspelt key at any depth is an
    /// error naming the file, line and key path (JSON is read as the YAML it is a subset of).
    /// - Throws: `ExperimentError.config`.
    static func checkShape(_ data: Data, file: String) throws {
        guard let text = String(data: data, encoding: .utf8) else {
            throw ExperimentError.config(file: file, keyPath: "(top level)", line: nil, message: "not UTF-8 text")
        }
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch let YamlError.scanner(_, problem, mark, _), let YamlError.parser(_, problem, mark, _) {
            throw ExperimentError.config(file: file, keyPath: "(syntax)", line: mark.line, message: "syntax error: \(problem)")
        } catch {
            throw ExperimentError.config(file: file, keyPath: "(syntax)", line: nil, message: "\(error)")
        }
        guard let root else {
            throw ExperimentError.config(file: file, keyPath: "(top level)", line: nil,
                                         message: "empty file; expected \(ExperimentConfig.modelScheme.expected)")
        }
        do { try ExperimentConfig.modelScheme.check(root, path: "") } catch let issue as ConfigShape.Issue {
            throw ExperimentError.config(file: file, keyPath: issue.keyPath, line: issue.line, message: issue.message)
        }
    }
}
