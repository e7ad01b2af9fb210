/// Figure (d): histograms of a few layers' input activations, two panels per row, counts on a log axis. Each panel
/// shows the inputs the layer saw in the quantized model (filled bars), the FP32 model's inputs to the same layer
/// (black outline) when recorded, and the observed min / max (red dashed), trimmed to the bins that hold values.
public struct HistogramPanels: Sendable {
    /// One layer.
    public struct Panel: Sendable {
        public var title: String
        public var subtitle: String
        /// `counts.count + 1` edges.
        public var edges: [Double]
        public var counts: [Double]
        /// The FP32 model's histogram of the same layer's inputs (its own edges).
        public var reference: (edges: [Double], counts: [Double])?
        public var minimum: Double
        public var maximum: Double
        public init(title: String, subtitle: String, edges: [Double], counts: [Double],
                    reference: (edges: [Double], counts: [Double])?, minimum: Double, maximum: Double) {
            self.title = title
            self.subtitle = subtitle
            self.edges = edges
            self.counts = counts
            self.reference = reference
            self.minimum = minimum
            self.maximum = maximum
        }
    }

    public var panels: [Panel]
    public var title: String
    public var subtitle: String
    public var style: SeriesStyle

    public init(panels: [Panel], title: String, subtitle: String, style: SeriesStyle) {
        self.panels = panels
        self.title = title
        self.subtitle = subtitle
        self.style = style
    }

    /// The SVG document.
    public func svg() -> String {
        let columns = panels.count == 1 ? 1 : 2
        let rows = (panels.count + columns - 1) / columns
        let top = ChartFrame.top(subtitle: subtitle)
        let panelWidth = (ChartFrame.width - 16) / Double(columns)
        let panelHeight = 270.0
        var entries = [Legend.Entry(label: "inputs in the quantized model", style: style, swatch: .box)]
        if panels.contains(where: { $0.reference != nil }) {
            entries.append(Legend.Entry(label: "inputs in the FP32 model", style: SeriesStyle(color: "#000000", marker: .circle, dash: nil), swatch: .rule))
        }
        entries.append(Legend.Entry(label: "observed min / max (quantized model)", style: SeriesStyle(color: "#d62728", marker: .circle, dash: "4 3"), swatch: .rule))
        let legend = Legend(entries: entries)
        let legendTop = top + Double(rows) * panelHeight + 6
        let height = legendTop + legend.height(width: ChartFrame.width - 32) + 12
        var c = SVGCanvas(width: ChartFrame.width, height: height)
        ChartFrame.drawTitle(title, subtitle: subtitle, on: &c)
        for (i, p) in panels.enumerated() {
            let ox = 8 + Double(i % columns) * panelWidth, oy = top + Double(i / columns) * panelHeight
            draw(p, x: ox, y: oy, width: panelWidth, height: panelHeight, on: &c)
        }
        legend.draw(on: &c, x: 16, y: legendTop, width: ChartFrame.width - 32)
        return c.svg(title: title)
    }

    func draw(_ p: Panel, x: Double, y: Double, width: Double, height: Double, on c: inout SVGCanvas) {
        // x range: the occupied bins of both histograms, symmetric around 0 when the data straddle it.
        func occupied(_ edges: [Double], _ counts: [Double]) -> (Double, Double)? {
            guard let a = counts.firstIndex(where: { $0 > 0 }), let b = counts.lastIndex(where: { $0 > 0 }) else { return nil }
            return (edges[a], edges[b + 1])
        }
        var ranges = [occupied(p.edges, p.counts)].compactMap { $0 }
        if let r = p.reference, let o = occupied(r.edges, r.counts) { ranges.append(o) }
        var lo = ranges.map(\.0).min() ?? -1, hi = ranges.map(\.1).max() ?? 1
        lo = min(lo, p.minimum.isFinite ? p.minimum : lo)
        hi = max(hi, p.maximum.isFinite ? p.maximum : hi)
        let pad = (hi - lo) * 0.04
        lo -= pad
        hi += pad
        let maxCount = max(10, (p.counts + (p.reference?.counts ?? [])).max() ?? 10)
        let ys0 = AxisScale(lo: 0.5, hi: pow(10, ceil(log10(maxCount * 1.5))), pixelLo: 1, pixelHi: 0, logarithmic: true)
        let left = x + ChartFrame.yAxisWidth(ys0) - 6
        let plot = (x: left, y: y + 38, w: x + width - left - 14, h: height - 38 - 56)
        let xs = AxisScale(lo: lo, hi: hi, pixelLo: plot.x, pixelHi: plot.x + plot.w)
        let ys = AxisScale(lo: ys0.lo, hi: ys0.hi, pixelLo: plot.y + plot.h, pixelHi: plot.y, logarithmic: true)

        let titleLines = ChartFrame.wrap(p.title, width: width - 20, size: 12)
        c.text(titleLines.first ?? "", x + 8, y + 14, size: 12, bold: true)
        c.text(p.subtitle, x + 8, y + 29, size: 10.5, color: "#555555")
        ChartFrame.drawYAxis(ys, label: "count (log scale)", plot: plot, on: &c)
        ChartFrame.drawXAxis(xs, label: "input activation value", plot: plot, on: &c, labelSize: 11)
        // Bars: one filled step outline over the occupied bins, from the axis (count ½, so single counts show) up.
        let base = plot.y + plot.h
        if let a = p.counts.firstIndex(where: { $0 > 0 }), let b = p.counts.lastIndex(where: { $0 > 0 }) {
            var outline: [(Double, Double)] = [(xs.map(p.edges[a]), base)]
            for i in a...b {
                let top = p.counts[i] > 0 ? ys.map(p.counts[i]) : base
                outline.append((xs.map(p.edges[i]), top))
                outline.append((xs.map(p.edges[i + 1]), top))
            }
            outline.append((xs.map(p.edges[b + 1]), base))
            c.polygon(outline, fill: style.color, opacity: 0.55)
        }
        if let r = p.reference {
            var path: [(Double, Double)] = []
            for (i, n) in r.counts.enumerated() {
                let yv = n > 0 ? ys.map(n) : base
                path.append((xs.map(r.edges[i]), yv))
                path.append((xs.map(r.edges[i + 1]), yv))
            }
            let a = path.firstIndex { $0.1 < base } ?? 0, b = path.lastIndex { $0.1 < base } ?? path.count - 1
            if a <= b { c.polyline(Array(path[max(0, a - 1)...min(path.count - 1, b + 1)]), stroke: "#000000", width: 1) }
        }
        for v in [p.minimum, p.maximum] where v.isFinite {
            let px = xs.map(v)
            c.line(px, plot.y, px, base, stroke: "#d62728", width: 1.2, dash: "4 3")
        }
        ChartFrame.drawFrame(plot, on: &c)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
