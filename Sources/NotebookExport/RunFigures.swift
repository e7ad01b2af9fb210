import Foundation
import RunRecords

/// Builds the four figures of an export from a run's results and statistics, or says why one is absent.
/// Colours follow the scheme order of `results.json`, so a scheme looks the same in every figure.
public struct RunFigures {
    /// A figure, or the reason it is absent.
    public enum Outcome {
        case figure(ExportDocument.Figure)
        case absent(title: String, reason: String)
    }

    let results: SweepResults
    let manifest: RunManifest
    let statistics: RunStatistics?
    /// Why there are no statistics (when `statistics` is nil).
    let statisticsAbsence: String

    /// Number of layers figure (d) shows.
    public static let worstLayerCount = 4

    /// The style of a quantized scheme by its position among the quantized schemes of `results.json`.
    func style(_ scheme: String) -> SeriesStyle {
        let quantized = results.schemes.filter { $0.kind != "baseline" }.map(\.scheme)
        if let i = quantized.firstIndex(of: scheme) { return .scheme(i) }
        let extra = (statistics?.schemes.map(\.name) ?? []).filter { !quantized.contains($0) }
        return .scheme(quantized.count + (extra.firstIndex(of: scheme) ?? 0))
    }

    var dataDescription: String {
        "\(manifest.config.data.path) (\(manifest.config.data.split)), \(results.examples) examples"
    }

    var statisticsExamples: String {
        guard let s = statistics, s.examples > 0 else { return "" }
        return "\(s.examples) examples"
    }

    /// (a) F1 vs model size.
    func f1VersusSize() -> Outcome {
        let title = "F1 vs model size"
        let points = results.schemes.compactMap { s -> F1SizePlot.Point? in
            guard let m = s.metrics else { return nil }
            let reference = s.kind == "baseline"
            return F1SizePlot.Point(scheme: s.scheme, megabytes: s.modelMB, f1: m.f1,
                                    style: reference ? .reference : style(s.scheme), isReference: reference,
                                    errorBar: s.f1CI95.map { $0.lower...$0.upper })
        }
        guard !points.isEmpty else {
            return .absent(title: title, reason: "the data set has no labels, so results.json has no F1")
        }
        let bars = results.bootstrap.flatMap { b in
            points.contains { $0.errorBar != nil }
                ? "; bars: \(SVGCanvas.num(b.confidence * 100, digits: 0))% bootstrap interval (B = \(b.replicates))" : nil
        } ?? ""
        let plot = F1SizePlot(points: points, title: title,
                              subtitle: "\(results.experiment) · \(dataDescription) · one point per scheme; dashed line: FP32 F1" + bars,
                              yLabel: "F1 (\(manifest.config.data.split) set)")
        return .figure(.init(key: "a-f1-vs-size", title: title, svg: plot.svg()))
    }

    /// (b) per-layer output SQNR.
    func layerSQNR() -> Outcome {
        let title = "Per-layer output SQNR by depth"
        guard let stats = statistics else { return .absent(title: title, reason: statisticsAbsence) }
        guard !stats.schemes.isEmpty, !stats.layerNames.isEmpty else {
            return .absent(title: title, reason: "stats.h5 holds no quantized scheme")
        }
        let categories = stats.layerNames.map { n -> CategoryLineChart.Category in
            let (g, l) = LayerNaming.linear(n)
            return .init(label: l, group: g)
        }
        let series = stats.schemes.map { CategoryLineChart.Series(name: $0.name, values: $0.outputSQNR, style: style($0.name)) }
        var chart = CategoryLineChart(categories: categories, series: series, title: title,
                                      subtitle: "", xLabel: "linear layer in forward order, grouped by encoder layer (L0, L1, …; head = pooler, classifier)",
                                      yLabel: "layer output SQNR (dB)")
        var subtitle = "each layer's output vs the FP32 model's, real tokens" + (statisticsExamples.isEmpty ? "" : ", \(statisticsExamples)")
            + "; higher = closer to FP32"
        if !chart.labelsEveryCategory {
            subtitle += " · order inside a layer: query, key, value, attn.out, ffn.in, ffn.out"
        }
        chart.subtitle = subtitle
        return .figure(.init(key: "b-layer-sqnr", title: title, svg: chart.svg()))
    }

    /// (c) hidden-state SQNR vs depth.
    func depthSQNR() -> Outcome {
        let title = "Error growth of the hidden state across encoder layers"
        guard let stats = statistics else { return .absent(title: title, reason: statisticsAbsence) }
        let withDepth = stats.schemes.filter { !$0.hiddenSQNR.isEmpty }
        guard let first = withDepth.first else {
            return .absent(title: title, reason: "stats.h5 has no hidden_states (activation statistics were not recorded)")
        }
        let categories = first.hiddenNames.map { CategoryLineChart.Category(label: LayerNaming.hiddenState($0), group: nil) }
        let series = withDepth.map { CategoryLineChart.Series(name: $0.name, values: $0.hiddenSQNR, style: style($0.name)) }
        let chart = CategoryLineChart(categories: categories, series: series, title: title,
                                      subtitle: "hidden state vs the FP32 model's, real tokens" + (statisticsExamples.isEmpty ? "" : ", \(statisticsExamples)")
                                        + "; falling SQNR = quantization error accumulating with depth",
                                      xLabel: "depth (emb = embedding output, Lk = output of encoder layer k)",
                                      yLabel: "hidden-state SQNR (dB)")
        return .figure(.init(key: "c-depth-sqnr", title: title, svg: chart.svg()))
    }

    /// (d) input histograms of the worst layers of the worst scheme.
    func worstLayerHistograms() throws -> Outcome {
        let title = "Input activation ranges of the worst layers"
        guard let stats = statistics else { return .absent(title: title, reason: statisticsAbsence) }
        let candidates = stats.schemes.filter { s in s.quantized.indices.contains { s.quantized[$0] && s.outputSQNR[$0].isFinite } }
        func meanSQNR(_ s: RunStatistics.Scheme) -> Double {
            let v = s.outputSQNR.indices.filter { s.quantized[$0] && s.outputSQNR[$0].isFinite }.map { s.outputSQNR[$0] }
            return v.reduce(0, +) / Double(max(1, v.count))
        }
        // Worst scheme: lowest logit SQNR; schemes without one are ranked by their mean layer SQNR after those with one.
        guard let worst = candidates.min(by: { a, b in
            switch (a.logitsSQNR.isFinite, b.logitsSQNR.isFinite) {
            case (true, true): return a.logitsSQNR < b.logitsSQNR
            case (true, false): return true
            case (false, true): return false
            case (false, false): return meanSQNR(a) < meanSQNR(b)
            }
        }) else { return .absent(title: title, reason: "no scheme quantizes a layer with a finite output SQNR") }
        let layers = worst.outputSQNR.indices.filter { worst.quantized[$0] && worst.outputSQNR[$0].isFinite }
            .sorted { worst.outputSQNR[$0] < worst.outputSQNR[$1] || worst.outputSQNR[$0] == worst.outputSQNR[$1] && $0 < $1 }
            .prefix(Self.worstLayerCount)
        var panels: [HistogramPanels.Panel] = []
        for i in layers {
            let name = stats.layerNames[i]
            guard let h = try stats.inputHistogram(layer: name, group: worst.group) else { continue }
            let reference = try stats.inputHistogram(layer: name, group: nil)
            panels.append(.init(title: "\(LayerNaming.shortName(name)): output SQNR \(SVGCanvas.num(worst.outputSQNR[i], digits: 1)) dB",
                                subtitle: name, edges: h.edges, counts: h.counts,
                                reference: reference.map { ($0.edges, $0.counts) }, minimum: h.minimum, maximum: h.maximum))
        }
        guard !panels.isEmpty else {
            return .absent(title: title, reason: "stats.h5 has no input histograms (statistics.input_ranges was false)")
        }
        let why = worst.logitsSQNR.isFinite ? "lowest logit SQNR, \(SVGCanvas.num(worst.logitsSQNR, digits: 1)) dB" : "lowest mean layer SQNR"
        let plot = HistogramPanels(panels: panels, title: "Input activation ranges of the \(panels.count) worst layers",
                                   subtitle: "scheme \(worst.name) (\(why)); layers with the lowest output SQNR, lowest first; real tokens",
                                   style: style(worst.name))
        return .figure(.init(key: "d-worst-layer-ranges", title: "Input activation ranges of the worst layers of \(worst.name)", svg: plot.svg()))
    }
}
