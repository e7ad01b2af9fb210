/// Figure (f): one 100 % bar per category, split into the shares of a few classes (token classes of outlier
/// rows), with a label above each bar (`dim 123`) and a legend of the classes below the plot.
public struct StackedBarChart: Sendable {
    /// One bar: counts per class (any non-negative numbers; the bar shows their shares).
    public struct Bar: Sendable {
        public var label: String
        public var note: String
        public var counts: [Double]
        public init(label: String, note: String, counts: [Double]) {
            self.label = label
            self.note = note
            self.counts = counts
        }
    }

    public var bars: [Bar]
    /// Class names, one colour each (`SeriesStyle.scheme(i)`), in stacking order from the bottom.
    public var classes: [String]
    public var title: String
    public var subtitle: String
    public var xLabel: String
    public var yLabel: String

    public init(bars: [Bar], classes: [String], title: String, subtitle: String, xLabel: String, yLabel: String) {
        self.bars = bars
        self.classes = classes
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The SVG document.
    public func svg() -> String {
        let plotHeight = 260.0
        let probe = AxisScale(lo: 0, hi: 100, pixelLo: 1, pixelHi: 0)
        let left = ChartFrame.yAxisWidth(probe)
        let plotWidth = ChartFrame.width - left - 20
        let top = ChartFrame.top(subtitle: subtitle) + 14
        let slot = plotWidth / Double(max(1, bars.count))
        let labelRow = (bars.map { SVGCanvas.textWidth($0.label, size: 10) }.max() ?? 0) + 10
        let plot = (x: left, y: top, w: plotWidth, h: plotHeight)
        let bottom = plot.y + plot.h
        let legend = Legend(entries: classes.indices.map { Legend.Entry(label: classes[$0], style: .scheme($0), swatch: .box) })
        let legendTop = bottom + labelRow + 34
        let legendWidth = ChartFrame.width - 32
        var c = SVGCanvas(width: ChartFrame.width, height: legendTop + legend.height(width: legendWidth) + 12)
        ChartFrame.drawTitle(title, subtitle: subtitle, on: &c)
        let ys = AxisScale(lo: 0, hi: 100, pixelLo: bottom, pixelHi: plot.y)
        ChartFrame.drawYAxis(ys, label: yLabel, plot: plot, on: &c)
        for (i, bar) in bars.enumerated() {
            let x = plot.x + slot * Double(i), w = slot * 0.7, x0 = x + slot * 0.15
            let total = bar.counts.reduce(0, +)
            var acc = 0.0
            if total > 0 {
                for (k, v) in bar.counts.enumerated() where v > 0 {
                    let y0 = ys.map(100 * acc / total), y1 = ys.map(100 * (acc + v) / total)
                    c.rect(x0, y1, w, y0 - y1, fill: SeriesStyle.scheme(k).color, opacity: 0.85)
                    acc += v
                }
            }
            c.text(bar.note, x + slot / 2, plot.y - 4, size: 9, anchor: .middle, color: "#333333")
            c.text(bar.label, x + slot / 2 + 3.5, bottom + 7, size: 10, anchor: .end, color: "#333333", rotate: -90)
        }
        c.text(xLabel, plot.x + plot.w / 2, bottom + labelRow + 18, size: ChartFrame.labelSize, anchor: .middle)
        ChartFrame.drawFrame(plot, on: &c)
        legend.draw(on: &c, x: 16, y: legendTop, width: legendWidth)
        return c.svg(title: title)
    }
}
