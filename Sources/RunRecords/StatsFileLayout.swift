/// The group and dataset paths of `stats.h5` (layout: docs/hdf5-layout.md), shared by the writer
/// (`StatsReport.write`) and the readers (`qbench export`'s figures), so both name the same objects.
public enum StatsFileLayout {
    /// `/@schema_version` of the files this build writes: 2 added `/fp32/outliers` (docs/hdf5-layout.md).
    public static let schemaVersion = 2
    /// Versions this build reads: 1 (no outlier statistics) and 2.
    public static let readableSchemaVersions: ClosedRange<Int64> = 1...2
    /// The FP32 reference group.
    public static let fp32 = "/fp32"
    /// The parent of one group per scheme.
    public static let schemes = "/schemes"
    /// Linear-layer names in model order.
    public static let layerNames = "/layer_names"
    /// Gold labels, when the data had them.
    public static let labels = "/labels"

    /// The FP32 model's outlier-channel statistics (schema version 2).
    public static let outliers = "/fp32/outliers"

    /// `/fp32/outliers/tensors/<tensor>`: per-channel datasets of one tensor.
    public static func outlierTensor(_ name: String) -> String { "\(outliers)/tensors/\(name)" }

    /// A scheme's HDF5 group name: its name with `/` replaced by `_`.
    public static func groupName(_ scheme: String) -> String { scheme.replacingOccurrences(of: "/", with: "_") }

    /// `/schemes/<group>` of a scheme (by name).
    public static func schemeGroup(_ scheme: String) -> String { "\(schemes)/\(groupName(scheme))" }

    /// `<scheme group or /fp32>/layers/<layer>/input_range`; `group` is a group name, nil for FP32.
    public static func inputRange(layer: String, group: String?) -> String {
        (group.map { "\(schemes)/\($0)" } ?? fp32) + "/layers/\(layer)/input_range"
    }
}
