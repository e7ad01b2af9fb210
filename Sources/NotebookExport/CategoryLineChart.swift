/// Figures (b) and (c): one line per scheme over ordered categories (linear layers in forward order, or hidden
/// states by depth). Categories may be grouped (encoder layers): groups get alternating shading and a label row,
/// per-category labels are drawn vertically when there is room (≥ 12 px per category) and left out otherwise
/// (the subtitle then says what the order inside a group is). Non-finite values (`+inf` SQNR = identical to
/// FP32) break the line and are listed in a note under the plot.
public struct CategoryLineChart: Sendable {
    /// One x position.
    public struct Category: Sendable {
        /// Short label (`query`, `ffn.out`, `L3`).
        public var label: String
        /// Group label (`L3`, `head`), nil for ungrouped charts.
        public var group: String?
        public init(label: String, group: String?) {
            self.label = label
            self.group = group
        }
    }

    /// One line.
    public struct Series: Sendable {
        public var name: String
        public var values: [Double]
        public var style: SeriesStyle
        public init(name: String, values: [Double], style: SeriesStyle) {
            self.name = name
            self.values = values
            self.style = style
        }
    }

    public var categories: [Category]
    public var series: [Series]
    public var title: String
    public var subtitle: String
    public var xLabel: String
    public var yLabel: String
    /// Extra notes printed under the legend.
    public var notes: [String]

    public init(categories: [Category], series: [Series], title: String, subtitle: String, xLabel: String,
                yLabel: String, notes: [String] = []) {
        self.categories = categories
        self.series = series
        self.title = title
        self.subtitle = subtitle
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.notes = notes
    }

    /// True when every category gets its own (vertical) label at this many categories.
    public var labelsEveryCategory: Bool { slotWidth(plotWidth: ChartFrame.width - 120) >= 12 || !grouped }

    var grouped: Bool { categories.contains { $0.group != nil } }

    /// Group boundaries: indices where a new group starts.
    var groupStarts: [Int] {
        categories.indices.filter { $0 == 0 || categories[$0].group != categories[$0 - 1].group }
    }

    func slotWidth(plotWidth: Double) -> Double {
        let gaps = grouped ? Double(groupStarts.count - 1) * 0.6 : 0
        return plotWidth / (Double(categories.count) + gaps)
    }

    /// The SVG document.
    public func svg() -> String {
        let plotHeight = 300.0
        let values = series.flatMap(\.values).filter(\.isFinite)
        let (ylo, yhi) = AxisScale.paddedRange(values, padding: 0.08, minimumHalfSpan: 1)
        let probe = AxisScale(lo: ylo, hi: yhi, pixelLo: 1, pixelHi: 0)
        let left = ChartFrame.yAxisWidth(probe)
        let plotWidth = ChartFrame.width - left - 20
        let top = ChartFrame.top(subtitle: subtitle)
        let slot = slotWidth(plotWidth: plotWidth)
        let starts = Set(groupStarts)
        var centers: [Double] = []
        var offset = 0.0
        for i in categories.indices {
            if grouped, i > 0, starts.contains(i) { offset += 0.6 }
            centers.append(left + slot * (Double(i) + 0.5 + offset))
        }

        // Label rows under the plot.
        let perCategory = grouped ? slot >= 12 : true
        let categoryLabelSize = grouped ? 10.0 : ChartFrame.tickSize
        var categoryRow = 0.0
        if grouped && perCategory {
            categoryRow = (categories.map { SVGCanvas.textWidth($0.label, size: categoryLabelSize) }.max() ?? 0) + 10
        } else if !grouped {
            categoryRow = 20
        }
        let groupRow = grouped ? 20.0 : 0
        let axisLabelY = categoryRow + groupRow + 18
        let legend = Legend(entries: series.map { Legend.Entry(label: $0.name, style: $0.style, swatch: .line) })
        var allNotes = notes
        for s in series {
            let missing = s.values.indices.filter { !s.values[$0].isFinite }
            guard !missing.isEmpty else { continue }
            let names = missing.map { i in categories[i].group.map { "\($0) \(categories[i].label)" } ?? categories[i].label }
            let shown = names.count > 8 ? names.prefix(8).joined(separator: ", ") + ", … (\(names.count) in all)" : names.joined(separator: ", ")
            let infinite = missing.allSatisfy { s.values[$0] == .infinity }
            allNotes.append("\(s.name): not drawn at \(shown) (" + (infinite ? "+∞ dB, identical to FP32)" : "not finite)"))
        }
        let plot = (x: left, y: top, w: plotWidth, h: plotHeight)
        let legendTop = plot.y + plot.h + axisLabelY + 14
        let legendWidth = ChartFrame.width - 32
        let notesTop = legendTop + legend.height(width: legendWidth) + 6
        let height = notesTop + ChartFrame.notesHeight(allNotes, x: 16) + 10
        var c = SVGCanvas(width: ChartFrame.width, height: height)
        ChartFrame.drawTitle(title, subtitle: subtitle, on: &c)

        // Group shading and separators.
        let bottom = plot.y + plot.h
        if grouped {
            let ordered = groupStarts
            for (g, start) in ordered.enumerated() {
                let end = g + 1 < ordered.count ? ordered[g + 1] - 1 : categories.count - 1
                let x0 = centers[start] - slot * 0.5 - slot * 0.3, x1 = centers[end] + slot * 0.5 + slot * 0.3
                let a = max(plot.x, x0), b = min(plot.x + plot.w, x1)
                if g % 2 == 1 { c.rect(a, plot.y, b - a, plot.h, fill: "#f2f2f2") }
            }
        }
        let ys = AxisScale(lo: ylo, hi: yhi, pixelLo: bottom, pixelHi: plot.y)
        ChartFrame.drawYAxis(ys, label: yLabel, plot: plot, on: &c)

        // Ticks and category labels.
        var lastRight = -Double.infinity
        for (i, cat) in categories.enumerated() {
            let x = centers[i]
            c.line(x, bottom, x, bottom + 3, stroke: "#444444", width: 1)
            if grouped && perCategory {
                c.text(cat.label, x + categoryLabelSize * 0.35, bottom + 7, size: categoryLabelSize, anchor: .end,
                       color: "#333333", rotate: -90)
            } else if !grouped {
                let w = SVGCanvas.textWidth(cat.label, size: categoryLabelSize)
                if x - w / 2 > lastRight + 5 || i == categories.count - 1 && x - w / 2 > lastRight + 2 {
                    c.text(cat.label, x, bottom + 16, size: categoryLabelSize, anchor: .middle, color: "#333333")
                    lastRight = x + w / 2
                }
            }
        }
        if grouped {
            lastRight = -Double.infinity
            let ordered = groupStarts
            let y = bottom + categoryRow + 15
            for (g, start) in ordered.enumerated() {
                let end = g + 1 < ordered.count ? ordered[g + 1] - 1 : categories.count - 1
                let label = categories[start].group ?? ""
                let mid = (centers[start] + centers[end]) / 2
                let w = SVGCanvas.textWidth(label, size: ChartFrame.tickSize)
                guard mid - w / 2 > lastRight + 4, mid + w / 2 <= ChartFrame.width - 2 else { continue }
                c.text(label, mid, y, size: ChartFrame.tickSize, anchor: .middle, color: "#222222", bold: true)
                lastRight = mid + w / 2
                if start > 0 {
                    let sx = (centers[start - 1] + centers[start]) / 2
                    c.line(sx, bottom, sx, bottom + categoryRow + 4, stroke: "#bbbbbb", width: 1)
                }
            }
        }
        c.text(xLabel, plot.x + plot.w / 2, bottom + axisLabelY + 2, size: ChartFrame.labelSize, anchor: .middle)

        // Lines, then markers on top.
        let markers = slot >= 9
        let lineWidth = series.count > 8 ? 1.2 : 1.6, markerSize = series.count > 8 ? 5.0 : 6.0
        for s in series {
            var run: [(Double, Double)] = []
            for (i, v) in s.values.enumerated() where i < centers.count {
                if v.isFinite {
                    run.append((centers[i], ys.map(v)))
                } else {
                    c.polyline(run, stroke: s.style.color, width: lineWidth, dash: s.style.dash)
                    run = []
                }
            }
            c.polyline(run, stroke: s.style.color, width: lineWidth, dash: s.style.dash)
            // Isolated finite points (no neighbour) still show as a marker.
            for (i, v) in s.values.enumerated() where i < centers.count && v.isFinite {
                let alone = (i == 0 || !s.values[i - 1].isFinite) && (i + 1 >= s.values.count || !s.values[i + 1].isFinite)
                if markers || alone { s.style.drawMarker(on: &c, centers[i], ys.map(v), size: markerSize) }
            }
        }
        ChartFrame.drawFrame(plot, on: &c)
        legend.draw(on: &c, x: 16, y: legendTop, width: legendWidth)
        _ = ChartFrame.drawNotes(allNotes, x: 16, y: notesTop, on: &c)
        return c.svg(title: title)
    }
}
