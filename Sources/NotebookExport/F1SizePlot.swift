/// Figure (a): F1 against model size, one labelled point per scheme, FP32 as a black star with a dashed
/// reference line at its F1, and a vertical error bar (with caps) through each point that has an interval
/// (`results.json` `f1_ci95`). Labels are placed greedily around their points without touching other labels,
/// markers or error bars; when some cannot be placed, every point is numbered instead and the legend gives the numbers.
public struct F1SizePlot: Sendable {
    /// One scheme's point.
    public struct Point: Sendable {
        public var scheme: String
        public var megabytes: Double
        public var f1: Double
        public var style: SeriesStyle
        public var isReference: Bool
        /// The F1 interval drawn as an error bar; nil draws none (runs recorded before error bars).
        public var errorBar: ClosedRange<Double>?
        public init(scheme: String, megabytes: Double, f1: Double, style: SeriesStyle, isReference: Bool,
                    errorBar: ClosedRange<Double>? = nil) {
            self.scheme = scheme
            self.megabytes = megabytes
            self.f1 = f1
            self.style = style
            self.isReference = isReference
            self.errorBar = errorBar
        }
    }

    public var points: [Point]
    public var title: String
    public var subtitle: String
    /// y-axis label, e.g. `F1 (MRPC dev)`.
    public var yLabel: String

    public init(points: [Point], title: String, subtitle: String, yLabel: String) {
        self.points = points
        self.title = title
        self.subtitle = subtitle
        self.yLabel = yLabel
    }

    struct Box {
        var x, y, w, h: Double
        func intersects(_ o: Box) -> Bool { x < o.x + o.w && o.x < x + w && y < o.y + o.h && o.y < y + h }
    }

    /// The SVG document.
    public func svg() -> String {
        let plotHeight = 340.0
        let labelSize = 11.0
        let (xlo, xhi) = AxisScale.paddedRange(points.map(\.megabytes), padding: 0.1,
                                               minimumHalfSpan: max(1, (points.first?.megabytes ?? 1) * 0.1))
        let bars = points.compactMap(\.errorBar)
        var (ylo, yhi) = AxisScale.paddedRange(points.map(\.f1) + bars.map(\.lowerBound) + bars.map(\.upperBound),
                                               padding: 0.12, minimumHalfSpan: 0.006)
        yhi += (yhi - ylo) * 0.06   // room for labels above the top point
        let probe = AxisScale(lo: ylo, hi: yhi, pixelLo: 1, pixelHi: 0)
        let left = ChartFrame.yAxisWidth(probe)
        let plotWidth = ChartFrame.width - left - 24
        let top = ChartFrame.top(subtitle: subtitle)
        let plot = (x: left, y: top, w: plotWidth, h: plotHeight)
        let xs = AxisScale(lo: xlo, hi: xhi, pixelLo: plot.x, pixelHi: plot.x + plot.w)
        let ys = AxisScale(lo: ylo, hi: yhi, pixelLo: plot.y + plot.h, pixelHi: plot.y)

        // Label placement.
        let reference = points.first { $0.isReference }
        var obstacles: [Box] = points.map { Box(x: xs.map($0.megabytes) - 5, y: ys.map($0.f1) - 5, w: 10, h: 10) }
        // Error bars after the markers, so that `obstacles[i]` stays point i's marker (a label may touch its own).
        let barHalfWidth = 3.0
        for p in points {
            guard let bar = p.errorBar else { continue }
            let top = ys.map(bar.upperBound), bottom = ys.map(bar.lowerBound)
            obstacles.append(Box(x: xs.map(p.megabytes) - barHalfWidth, y: top, w: 2 * barHalfWidth, h: bottom - top))
        }
        let referenceText = reference.map { "FP32 F1 " + SVGCanvas.num($0.f1, digits: 4) }
        // The reference line's label: at the left or right end, above or below the line, wherever no marker is.
        var referenceBox: Box?
        if let reference, let referenceText {
            let w = SVGCanvas.textWidth(referenceText, size: 10.5), y = ys.map(reference.f1)
            var options: [Box] = []
            for dy in [-15.0, 3] {
                for x in stride(from: plot.x + 4, through: plot.x + plot.w - 4 - w, by: 16) {
                    options.append(Box(x: x, y: y + dy, w: w, h: 12))
                }
            }
            if options.isEmpty { options.append(Box(x: plot.x + 4, y: y - 15, w: w, h: 12)) }
            let box = options.first { o in !obstacles.contains { $0.intersects(o) } } ?? options[0]
            obstacles.append(box)
            referenceBox = box
        }
        let bounds = Box(x: plot.x + 2, y: plot.y + 2, w: plot.w - 4, h: plot.h - 4)
        func place(_ texts: [String]) -> [(Box, leader: Bool)?] {
            var placed: [Box] = []
            var out: [(Box, leader: Bool)?] = []
            for (i, p) in points.enumerated() {
                let px = xs.map(p.megabytes), py = ys.map(p.f1)
                let w = SVGCanvas.textWidth(texts[i], size: labelSize), h = labelSize + 2
                var candidates: [(Box, Bool)] = [
                    (Box(x: px + 8, y: py - h / 2, w: w, h: h), false), (Box(x: px - 8 - w, y: py - h / 2, w: w, h: h), false),
                    (Box(x: px - w / 2, y: py - 8 - h, w: w, h: h), false), (Box(x: px - w / 2, y: py + 8, w: w, h: h), false),
                    (Box(x: px + 6, y: py - 6 - h, w: w, h: h), false), (Box(x: px + 6, y: py + 6, w: w, h: h), false),
                    (Box(x: px - 6 - w, y: py - 6 - h, w: w, h: h), false), (Box(x: px - 6 - w, y: py + 6, w: w, h: h), false),
                ]
                for dy in [16.0, -16, 30, -30, 44, -44, 58, -58] {
                    candidates.append((Box(x: px + 16, y: py - h / 2 + dy, w: w, h: h), true))
                    candidates.append((Box(x: px - 16 - w, y: py - h / 2 + dy, w: w, h: h), true))
                }
                let own = i
                let hit = candidates.first { c, _ in
                    c.x >= bounds.x && c.y >= bounds.y && c.x + c.w <= bounds.x + bounds.w && c.y + c.h <= bounds.y + bounds.h
                        && !placed.contains { $0.intersects(c) }
                        && !obstacles.enumerated().contains { $0.offset != own && $0.element.intersects(c) }
                }
                if let hit { placed.append(hit.0) }
                out.append(hit.map { ($0.0, $0.1) })
            }
            return out
        }
        var texts = points.map(\.scheme)
        var boxes = place(texts)
        let numbered = boxes.contains { $0 == nil }
        if numbered {
            texts = points.indices.map { String($0 + 1) }
            boxes = place(texts)
        }

        let legendEntries = points.enumerated().map { i, p in
            Legend.Entry(label: (numbered ? "\(i + 1). " : "") + p.scheme + "  (F1 " + SVGCanvas.num(p.f1, digits: 4)
                            + ", " + SVGCanvas.num(p.megabytes, digits: 1) + " MB)" + (p.isReference ? ", reference" : ""),
                         style: p.style, swatch: .marker)
        }
        let legend = Legend(entries: legendEntries)
        let legendTop = plot.y + plot.h + 50
        let height = legendTop + legend.height(width: ChartFrame.width - 32) + 14
        var c = SVGCanvas(width: ChartFrame.width, height: height)
        ChartFrame.drawTitle(title, subtitle: subtitle, on: &c)
        ChartFrame.drawYAxis(ys, label: yLabel, plot: plot, on: &c)
        ChartFrame.drawXAxis(xs, label: "model size (MB, parameters as stored)", plot: plot, on: &c)
        if let reference, let referenceText, let box = referenceBox {
            let y = ys.map(reference.f1)
            c.line(plot.x, y, plot.x + plot.w, y, stroke: "#666666", width: 1, dash: "5 4")
            c.text(referenceText, box.x, box.y + 10, size: 10.5, color: "#444444")
        }
        for (i, p) in points.enumerated() {
            let px = xs.map(p.megabytes), py = ys.map(p.f1)
            if let (box, leader) = boxes[i] {
                if leader {
                    let lx = box.x > px ? box.x - 1 : box.x + box.w + 1
                    c.line(px, py, lx, box.y + box.h / 2, stroke: "#999999", width: 0.8)
                }
                c.text(texts[i], box.x, box.y + box.h - 3, size: labelSize, color: "#222222")
            } else {
                c.text(texts[i], px + 8, py + 4, size: labelSize, color: "#222222")
            }
        }
        for p in points {
            guard let bar = p.errorBar else { continue }
            let x = xs.map(p.megabytes), top = ys.map(bar.upperBound), bottom = ys.map(bar.lowerBound)
            c.line(x, top, x, bottom, stroke: p.style.color, width: 1.2)
            c.line(x - barHalfWidth, top, x + barHalfWidth, top, stroke: p.style.color, width: 1.2)
            c.line(x - barHalfWidth, bottom, x + barHalfWidth, bottom, stroke: p.style.color, width: 1.2)
        }
        for p in points where !p.isReference { p.style.drawMarker(on: &c, xs.map(p.megabytes), ys.map(p.f1), size: 9) }
        for p in points where p.isReference { p.style.drawMarker(on: &c, xs.map(p.megabytes), ys.map(p.f1), size: 10) }
        ChartFrame.drawFrame(plot, on: &c)
        legend.draw(on: &c, x: 16, y: legendTop, width: ChartFrame.width - 32)
        return c.svg(title: title)
    }
}
