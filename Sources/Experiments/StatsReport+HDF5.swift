import Foundation
import LayerStats
import Quantization
import RunRecords
import TensorCore

/// The HDF5 layout of a statistics run (documented in `docs/hdf5-layout.md`; bump `schemaVersion` on any
/// change that renames, removes or reinterprets an object — STYLE.md §4).
extension StatsReport {
    /// Version of the layout written by `hdf5()`.
    public static let schemaVersion = Int64(StatsFileLayout.schemaVersion)

    /// Builds the whole file in memory (`numerics`: the process's `Numerics.mode`, the one the passes ran in).
    public func hdf5(provenance: StatsProvenance) throws -> HDF5Writer {
        let w = try HDF5Writer()
        let json = JSONEncoder()
        json.outputFormatting = [.sortedKeys]
        func jsonString<T: Encodable>(_ v: T) throws -> String { String(decoding: try json.encode(v), as: UTF8.self) }

        try w.setAttributes([
            "schema_version": .int(StatsReport.schemaVersion),
            "created": .string(provenance.createdISO8601),
            "quantbench_version": .string(provenance.quantbenchVersion),
            "git_commit": .string(provenance.gitCommit ?? "unknown"),
            "model_path": .string(provenance.modelPath),
            "model_weights_file": .string(provenance.modelWeightsFile),
            "model_sha256": .string(provenance.modelSHA256),
            "model_config_sha256": .string(provenance.modelConfigSHA256),
            "data_path": .string(provenance.dataPath),
            "data_sha256": .string(provenance.dataSHA256),
            "examples": .int(Int64(examples)),
            "command": .string(provenance.command),
            "numerics": .string(Numerics.mode.rawValue),   // the mode the statistics were computed in
            "schemes_json": .string(try jsonString(schemes.map(\.scheme))),
            "scheme_names": .string(schemes.map(\.scheme.name).joined(separator: "\n")),
            "options_json": .string(try jsonString(options)),
            "percentile_method": .string("nearest-rank percentile of |x| from a histogram with one bin per bfloat16 "
                                         + "value; upper bin edge, capped at max|x| (relative error < 2^-7, never below exact)"),
            "padding": .string("padding positions excluded by the attention mask; pooler/classifier rows are all real"),
        ], on: "/")
        try w.write(StatsFileLayout.layerNames, strings: layerNames)

        // FP32 reference.
        let fp32 = StatsFileLayout.fp32
        try w.createGroup(fp32)
        try w.write("\(fp32)/predictions", fp32Predictions.map(Int64.init))
        let labelsPerExample = fp32Logits.first?.count ?? 0
        try w.write("\(fp32)/logits", fp32Logits.flatMap { $0 }, shape: [fp32Logits.count, labelsPerExample])
        if let labels { try w.write(StatsFileLayout.labels, labels.map(Int64.init)) }
        if let m = fp32Metrics { try w.setAttributes(["f1": .double(m.f1), "accuracy": .double(m.accuracy)], on: fp32) }
        for name in layerNames {
            if let r = fp32Inputs[name] { try writeRange(w, r, at: StatsFileLayout.inputRange(layer: name, group: nil), grid: "none", staticGrid: nil) }
        }
        try writeRangeSummary(w, layerNames.map { fp32Inputs[$0] }, at: "\(fp32)/summary")
        if !fp32Outliers.isEmpty { try writeOutliers(w) }

        for s in schemes { try write(s, to: w, json: jsonString) }
        return w
    }

    /// Writes the file atomically to `path` (temporary file + rename; nothing at `path` on error).
    public func write(to path: String, provenance: StatsProvenance) throws {
        let w = try hdf5(provenance: provenance)
        defer { w.close() }
        try w.write(to: path)
    }

    /// HDF5 group name of a scheme (`/` would nest groups).
    public static func groupName(_ scheme: String) -> String { StatsFileLayout.groupName(scheme) }

    private func write(_ s: SchemeReport, to w: HDF5Writer, json: (ModelScheme) throws -> String) throws {
        let base = StatsFileLayout.schemeGroup(s.scheme.name)
        try w.createGroup(base)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var attrs: [String: HDF5Value] = [
            "name": .string(s.scheme.name), "summary": .string(s.scheme.summary),
            "definition_json": .string(try json(s.scheme)), "flips": .int(Int64(s.flips)),
            "examples": .int(Int64(s.predictions.count)),
            "quantized_layers": .int(Int64(s.layers.filter(\.isQuantized).count)),
        ]
        for (k, v) in zip(ErrorMetrics.names, s.logits.values) { attrs["logits_\(k)"] = .double(v) }
        if let m = s.metrics { attrs["f1"] = .double(m.f1); attrs["accuracy"] = .double(m.accuracy) }
        if let e = s.embeddingSensitivityFlips { attrs["embedding_sensitivity_flips"] = .int(Int64(e)) }
        try w.setAttributes(attrs, on: base)
        try w.write("\(base)/predictions", s.predictions.map(Int64.init))

        for l in s.layers {
            let lp = "\(base)/layers/\(l.name)"
            try w.createGroup(lp)
            var la: [String: HDF5Value] = ["quantized": .int(l.isQuantized ? 1 : 0)]
            if let ls = l.layerScheme {
                la["layer_scheme_json"] = .string(String(decoding: try encoder.encode(ls), as: UTF8.self))
                la["implementation"] = .string(ls.implementation.rawValue)
            }
            if let f = l.sensitivityFlips { la["sensitivity_flips"] = .int(Int64(f)) }
            if let m = l.sensitivityLogits { la["sensitivity_logits_sqnr_db"] = .double(m.sqnrDB) }
            try w.setAttributes(la, on: lp)
            if let ws = l.weight { try writeWeight(w, ws, at: "\(lp)/weight") }
            try writeComparison(w, l.output, at: "\(lp)/output")
            try writeRange(w, l.input, at: "\(lp)/input_range", grid: l.inputGrid, staticGrid: l.staticInputGrid)
        }
        for e in s.embeddings { try writeWeight(w, e.weight, at: "\(base)/embeddings/\(e.name)/weight") }

        // Hidden states by depth.
        let hp = "\(base)/hidden_states"
        try w.write("\(hp)/names", strings: s.hiddenNames)
        let hm = s.hiddenStates.map(\.metrics)
        for (i, k) in ErrorMetrics.names.enumerated() { try w.write("\(hp)/\(k)", hm.map { $0.values[i] }) }
        try w.write("\(hp)/count", hm.map { Int64($0.count) })
        let width = s.hiddenStates.first?.channelSignal.count ?? 0
        try w.write("\(hp)/channel_sqnr_db", s.hiddenStates.flatMap(\.channelSQNR), shape: [s.hiddenStates.count, width])

        // Summary table, one row per linear layer in execution order.
        let sp = "\(base)/summary"
        try w.write("\(sp)/layer_names", strings: s.layers.map(\.name))
        try w.write("\(sp)/quantized", s.layers.map { Int8($0.isQuantized ? 1 : 0) })
        let om = s.layers.map(\.output.metrics)
        for (i, k) in ErrorMetrics.names.enumerated() { try w.write("\(sp)/output_\(k)", om.map { $0.values[i] }) }
        let nan = [Double](repeating: .nan, count: ErrorMetrics.names.count)
        for (i, k) in ErrorMetrics.names.enumerated() {
            try w.write("\(sp)/weight_\(k)", s.layers.map { ($0.weight?.metrics.values ?? nan)[i] })
        }
        try w.write("\(sp)/weight_fraction_clipped", s.layers.map { $0.weight?.fractionClipped ?? .nan })
        try writeRangeSummary(w, s.layers.map(\.input), at: sp)
        if options.sensitivity {
            try w.write("\(sp)/sensitivity_flips", s.layers.map { Int64($0.sensitivityFlips ?? -1) })
            try w.write("\(sp)/sensitivity_logits_sqnr_db", s.layers.map { $0.sensitivityLogits?.sqnrDB ?? .nan })
        }
    }

    /// `/fp32/outliers`: one row per tensor (linear inputs and residual sums, in the order they ran), `k` columns
    /// per top list (padded with −1 / NaN / 0 for tensors narrower than `k`), and per-channel datasets per tensor.
    private func writeOutliers(_ w: HDF5Writer) throws {
        let base = StatsFileLayout.outliers, k = options.outlierTopK, classes = TokenClass.allCases.count
        let summaries = fp32Outliers.map { $0.statistics.summary(topK: k) }
        try w.createGroup(base)
        try w.setAttributes([
            "top_k": .int(Int64(k)), "top_rows": .int(Int64(options.outlierRows)),
            "outlier_factor": .double(OutlierSummary.defaultFactor),
            "definition": .string("FP32 model; channel = input column (hidden dimension); channel_abs_max = max|x| over real "
                                  + "tokens; top_channels = the k largest (ties: lower index); top_share = abs_max_j / abs_max; "
                                  + "outlier_channels = #channels with abs_max_j > outlier_factor * median_abs_max; "
                                  + "top_class_counts = token classes of the top_rows rows with the largest |x| in the channel, "
                                  + "padding included (ties: earlier row)"),
        ], on: base)
        try w.write("\(base)/tensor_names", strings: fp32Outliers.map(\.name))
        try w.write("\(base)/tensor_kinds", strings: fp32Outliers.map(\.kind.rawValue))
        try w.write("\(base)/token_classes", strings: TokenClass.allCases.map(\.name))
        let t = fp32Outliers.count
        try w.write("\(base)/width", fp32Outliers.map { Int64($0.statistics.width) })
        try w.write("\(base)/rows", fp32Outliers.map { Int64($0.statistics.realRows) })
        try w.write("\(base)/class_rows", fp32Outliers.flatMap { $0.statistics.classRows.map(Int64.init) }, shape: [t, classes])
        try w.write("\(base)/abs_max", summaries.map(\.absMax))
        try w.write("\(base)/median_abs_max", summaries.map(\.medianAbsMax))
        try w.write("\(base)/outlier_channels", summaries.map { Int64($0.outlierChannels) })
        func padded<T>(_ v: [T], _ fill: T) -> [T] { v + [T](repeating: fill, count: k - v.count) }
        try w.write("\(base)/top_channels", summaries.flatMap { padded($0.topChannels.map(Int64.init), -1) }, shape: [t, k])
        try w.write("\(base)/top_abs_max", summaries.flatMap { padded($0.topAbsMax, .nan) }, shape: [t, k])
        try w.write("\(base)/top_share", summaries.flatMap { padded($0.topShare, .nan) }, shape: [t, k])
        try w.write("\(base)/top_ratio_to_median", summaries.flatMap { padded($0.topRatioToMedian, .nan) }, shape: [t, k])
        let zeros = [Int](repeating: 0, count: classes)
        try w.write("\(base)/top_class_counts",
                    summaries.flatMap { padded($0.topClassCounts, zeros).flatMap { $0.map(Int64.init) } }, shape: [t, k, classes])
        for (o, s) in zip(fp32Outliers, summaries) {
            let p = StatsFileLayout.outlierTensor(o.name)
            try w.write("\(p)/channel_min", o.statistics.channelMin)
            try w.write("\(p)/channel_max", o.statistics.channelMax)
            try w.write("\(p)/channel_abs_max", s.channelAbsMax.map(Float.init))
        }
    }

    private func writeWeight(_ w: HDF5Writer, _ s: WeightStatistics, at path: String) throws {
        try w.createGroup(path)
        var a: [String: HDF5Value] = ["count": .int(Int64(s.metrics.count)), "shape": .ints(s.shape.map(Int64.init)),
                                      "fraction_clipped": .double(s.fractionClipped), "clipped": .int(Int64(s.clipped)),
                                      "format": .string(s.grid == nil ? "float16" : "integer")]
        for (k, v) in zip(ErrorMetrics.names, s.metrics.values) { a[k] = .double(v) }
        if let g = s.grid {
            a["qmin"] = .int(Int64(g.qmin))
            a["qmax"] = .int(Int64(g.qmax))
            a["granularity"] = .string(g.granularity)
            a["group_size"] = .int(Int64(g.groupSize))
            try w.write("\(path)/scales", g.scales)
            try w.write("\(path)/inverse_scales", g.inverseScales)
            try w.write("\(path)/zero_points", g.zeroPoints)
        }
        try w.setAttributes(a, on: path)
        try writeHistogram(w, s.weightHistogram, at: "\(path)/hist")
        try writeHistogram(w, s.errorHistogram, at: "\(path)/error_hist")
    }

    private func writeComparison(_ w: HDF5Writer, _ c: OutputComparison, at path: String) throws {
        try w.createGroup(path)
        let m = c.metrics
        var a: [String: HDF5Value] = ["count": .int(Int64(m.count)), "rows": .int(Int64(c.rows))]
        for (k, v) in zip(ErrorMetrics.names, m.values) { a[k] = .double(v) }
        try w.setAttributes(a, on: path)
        try w.write("\(path)/channel_mse", c.channelMSE)
        try w.write("\(path)/channel_sqnr_db", c.channelSQNR)
        try writeHistogram(w, c.errorHistogram, at: "\(path)/error_hist")
    }

    private func writeRange(_ w: HDF5Writer, _ r: RangeAccumulator, at path: String, grid: String, staticGrid: ClipParams?) throws {
        try w.createGroup(path)
        var a: [String: HDF5Value] = [
            "count": .int(Int64(r.count)), "min": .double(r.count > 0 ? Double(r.min) : .nan),
            "max": .double(r.count > 0 ? Double(r.max) : .nan), "mean": .double(r.mean), "std": .double(r.standardDeviation),
            "abs_max": .double(r.absMax), "fraction_clipped": .double(r.fractionClipped), "clipped": .int(Int64(r.clipped)),
            "grid": .string(grid),
        ]
        for (k, v) in zip(MagnitudePercentiles.reportedNames, r.reportedPercentiles) { a[k] = .double(v) }
        if let g = staticGrid {
            let range = g.representableRange
            a["static_lo"] = .double(range.lo)
            a["static_hi"] = .double(range.hi)
        }
        try w.setAttributes(a, on: path)
        try w.write("\(path)/channel_min", r.channelMin)
        try w.write("\(path)/channel_max", r.channelMax)
        try writeHistogram(w, r.histogram, at: "\(path)/hist")
    }

    private func writeRangeSummary(_ w: HDF5Writer, _ ranges: [RangeAccumulator?], at path: String) throws {
        try w.write("\(path)/input_min", ranges.map { $0.map { $0.count > 0 ? Double($0.min) : .nan } ?? .nan })
        try w.write("\(path)/input_max", ranges.map { $0.map { $0.count > 0 ? Double($0.max) : .nan } ?? .nan })
        for (i, k) in MagnitudePercentiles.reportedNames.enumerated() {
            try w.write("\(path)/input_\(k)", ranges.map { $0?.reportedPercentiles[i] ?? .nan })
        }
        try w.write("\(path)/input_fraction_clipped", ranges.map { $0?.fractionClipped ?? .nan })
        if path.hasPrefix(StatsFileLayout.fp32) { try w.write("\(path)/layer_names", strings: layerNames) }
    }

    /// `<prefix>_counts` `[bins]` (uint64) and `<prefix>_edges` `[bins + 1]` (float64).
    private func writeHistogram(_ w: HDF5Writer, _ h: Histogram, at prefix: String) throws {
        try w.write("\(prefix)_counts", h.counts)
        try w.write("\(prefix)_edges", h.edges)
    }
}
