import Quantization
import RunRecords

/// A resolved `QATSpec`: the scheme, the row name and the absolute training data path.
public struct QATEntry: Sendable {
    public var spec: QATSpec
    public var scheme: ModelScheme
    /// `<scheme>+qat`.
    public var name: String
    /// TSV file or task folder (absolute).
    public var dataPath: String

    public init(spec: QATSpec, scheme: ModelScheme, dataPath: String) {
        self.spec = spec
        self.scheme = scheme
        self.name = "\(scheme.name)+qat"
        self.dataPath = dataPath
    }
}
