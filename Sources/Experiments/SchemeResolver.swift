import Foundation
import Quantization
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
        return scheme
    }
}
