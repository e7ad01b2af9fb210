import Foundation
import LayerStats
import RunRecords

/// What the export's figures need from a run's `stats.h5` (docs/hdf5-layout.md, schema versions 1 and 2): per
/// scheme the per-layer output SQNR, which layers it quantizes, the hidden-state SQNR by depth and the logit SQNR;
/// input histograms are read on demand for the few layers figure (d) shows; the FP32 outlier channels
/// (`/fp32/outliers`, version 2) when the file has them.
public struct RunStatistics {
    /// One quantized scheme.
    public struct Scheme {
        public var name: String
        /// HDF5 group name (`/` replaced by `_`).
        public var group: String
        /// `[L]`, forward order.
        public var outputSQNR: [Double]
        /// `[L]`, 1 when quantized.
        public var quantized: [Bool]
        /// `embeddings`, `encoder.layer.0`, …
        public var hiddenNames: [String]
        public var hiddenSQNR: [Double]
        /// Logits vs FP32 over all examples.
        public var logitsSQNR: Double
    }

    /// An input histogram with its range.
    public struct InputHistogram {
        public var edges: [Double]
        public var counts: [Double]
        public var minimum: Double
        public var maximum: Double
    }

    /// `/fp32/outliers`: per tensor, its strongest channel and the token classes of that channel's largest `|x|`.
    public struct Outliers {
        /// Tensor names in the order they ran, and `linear_input` or `residual_sum` for each.
        public var tensorNames: [String]
        public var tensorKinds: [String]
        /// `[T]`: absmax of the strongest channel (the tensor's absmax) and the median channel absmax.
        public var absMax: [Double]
        public var medianAbsMax: [Double]
        /// `[T]`: the strongest channel's index.
        public var topChannel: [Int]
        /// `[T]`: channels over `factor ×` the median.
        public var outlierChannels: [Int]
        public var factor: Double
        /// Class names (`cls`, `sep`, …) and `[T][classes]` counts of the strongest channel's kept rows.
        public var tokenClasses: [String]
        public var topClassCounts: [[Double]]
        /// Rows kept per channel (`N`).
        public var topRows: Int
        /// `[T][classes]`: rows seen per class (padding included).
        public var classRows: [[Double]]
    }

    public let path: String
    /// The outlier statistics; nil for version-1 files and runs without token classes.
    public let outliers: Outliers?
    /// `[L]` linear layers in execution order.
    public let layerNames: [String]
    public let schemes: [Scheme]
    public let examples: Int
    private let file: HDF5File

    /// Reads `path`.
    /// - Throws: `ExportError.badStatistics` naming the file and the object that is missing or unreadable.
    public init(path: String) throws {
        self.path = path
        do {
            file = try HDF5File(path: path)
            guard case let .int(version) = try file.attribute("schema_version") else {
                throw ExportError.badStatistics(path: path, reason: "/@schema_version is not an integer")
            }
            guard StatsFileLayout.readableSchemaVersions.contains(version) else {
                let v = StatsFileLayout.readableSchemaVersions
                throw ExportError.badStatistics(path: path, reason: "schema_version \(version); this QuantBench reads versions \(v.lowerBound)–\(v.upperBound)")
            }
            layerNames = try file.readStrings(StatsFileLayout.layerNames)
            // Names from the file become HDF5 paths: one safe component each (no `/`, `..`, NUL).
            if let bad = layerNames.firstIndex(where: { !PathComponent.isSafe($0) }) {
                throw ExportError.badStatistics(path: path, reason: "\(StatsFileLayout.layerNames)[\(bad)] '\(layerNames[bad].prefix(80))' "
                                                + "is not a safe layer name")
            }
            if case let .int(n) = try file.attribute("examples") { examples = Int(n) } else { examples = 0 }
            var names: [String] = []
            if case let .string(lines) = try file.attribute("scheme_names") {
                names = lines.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
            }
            let groups = file.exists(StatsFileLayout.schemes) ? try file.members(of: StatsFileLayout.schemes) : []
            var schemes: [Scheme] = []
            for (i, name) in names.enumerated() {
                guard PathComponent.isSafe(name) else {
                    throw ExportError.badStatistics(path: path, reason: "/@scheme_names line \(i + 1) '\(name.prefix(80))' "
                                                    + "is not a safe scheme name")
                }
                let group = StatsFileLayout.groupName(name)
                guard groups.contains(group) else { continue }   // fp32 is the reference, not a scheme group
                let base = StatsFileLayout.schemeGroup(name)
                let sqnr = try file.read("\(base)/summary/output_sqnr_db", as: Double.self).values
                let quantized = try file.read("\(base)/summary/quantized", as: Double.self).values.map { $0 != 0 }
                guard sqnr.count == layerNames.count, quantized.count == layerNames.count else {
                    throw ExportError.badStatistics(path: path, reason: "\(base)/summary has \(sqnr.count) rows, /layer_names \(layerNames.count)")
                }
                var logits = Double.nan
                if case let .double(v) = try? file.attribute("logits_sqnr_db", of: base) { logits = v }
                var hiddenNames: [String] = [], hidden: [Double] = []
                if file.exists("\(base)/hidden_states/sqnr_db") {
                    hiddenNames = try file.readStrings("\(base)/hidden_states/names")
                    hidden = try file.read("\(base)/hidden_states/sqnr_db", as: Double.self).values
                }
                schemes.append(Scheme(name: name, group: group, outputSQNR: sqnr, quantized: quantized,
                                      hiddenNames: hiddenNames, hiddenSQNR: hidden, logitsSQNR: logits))
            }
            self.schemes = schemes
            outliers = version >= 2 && file.exists(StatsFileLayout.outliers) ? try Self.readOutliers(file, path: path) : nil
        } catch let e as ExportError {
            throw e
        } catch let e as LayerStatsError {
            throw ExportError.badStatistics(path: path, reason: Self.reason(e))
        }
    }

    /// The input histogram of `layer` in scheme group `group`'s model, or in the FP32 model when `group` is nil;
    /// nil when the run did not record input ranges.
    public func inputHistogram(layer: String, group: String?) throws -> InputHistogram? {
        let base = StatsFileLayout.inputRange(layer: layer, group: group)
        guard file.exists("\(base)/hist_counts") else { return nil }
        do {
            let counts = try file.read("\(base)/hist_counts", as: Double.self).values
            let edges = try file.read("\(base)/hist_edges", as: Double.self).values
            guard edges.count == counts.count + 1 else {
                throw ExportError.badStatistics(path: path, reason: "\(base): \(counts.count) counts but \(edges.count) edges")
            }
            func scalar(_ name: String) -> Double {
                if case let .double(v) = try? file.attribute(name, of: base) { return v }
                return .nan
            }
            return InputHistogram(edges: edges, counts: counts, minimum: scalar("min"), maximum: scalar("max"))
        } catch let e as LayerStatsError {
            throw ExportError.badStatistics(path: path, reason: Self.reason(e))
        }
    }

    static func readOutliers(_ file: HDF5File, path: String) throws -> Outliers {
        let base = StatsFileLayout.outliers
        let names = try file.readStrings("\(base)/tensor_names")
        let kinds = try file.readStrings("\(base)/tensor_kinds")
        let classes = try file.readStrings("\(base)/token_classes")
        let absMax = try file.read("\(base)/abs_max", as: Double.self).values
        let median = try file.read("\(base)/median_abs_max", as: Double.self).values
        let over = try file.read("\(base)/outlier_channels", as: Double.self).values
        let (channels, channelShape) = try file.read("\(base)/top_channels", as: Double.self)
        let (counts, countShape) = try file.read("\(base)/top_class_counts", as: Double.self)
        let (rows, rowShape) = try file.read("\(base)/class_rows", as: Double.self)
        let t = names.count
        guard kinds.count == t, absMax.count == t, median.count == t, over.count == t,
              channelShape.count == 2, channelShape[0] == t, channelShape[1] >= 1,
              countShape == [t, channelShape[1], classes.count], rowShape == [t, classes.count] else {
            throw ExportError.badStatistics(path: path, reason: "\(base): datasets disagree on the number of tensors (\(t)), "
                                            + "top_k or token classes")
        }
        let k = channelShape[1], c = classes.count
        func attribute(_ name: String) -> Double? {
            switch try? file.attribute(name, of: base) {
            case let .double(v)?: return v
            case let .int(v)?: return Double(v)
            default: return nil
            }
        }
        return Outliers(tensorNames: names, tensorKinds: kinds, absMax: absMax, medianAbsMax: median,
                        topChannel: (0..<t).map { Int(channels[$0 * k]) }, outlierChannels: over.map { Int($0) },
                        factor: attribute("outlier_factor") ?? .nan, tokenClasses: classes,
                        topClassCounts: (0..<t).map { Array(counts[($0 * k * c)..<($0 * k * c + c)]) },
                        topRows: Int(attribute("top_rows") ?? 0),
                        classRows: (0..<t).map { Array(rows[($0 * c)..<($0 * c + c)]) })
    }

    static func reason(_ e: LayerStatsError) -> String {
        switch e {
        case let .notFound(_, object, reason): return "\(object): \(reason)"
        case let .unreadable(_, reason): return reason
        default: return e.description
        }
    }
}
