/// Shared pieces of every figure: the title block, the plot rectangle's frame and grid, y-axis ticks and label,
/// numeric x-axis ticks. Sizes are for an 800 px wide figure shown at notebook width.
public enum ChartFrame {
    /// Figure width: Jupyter's default content width.
    public static let width = 800.0
    public static let tickSize = 11.0
    public static let labelSize = 12.0

    /// Title (bold) and an optional grey subtitle wrapped to the figure width; returns the y below them
    /// (`top(subtitle:)`).
    @discardableResult
    public static func drawTitle(_ title: String, subtitle: String?, on canvas: inout SVGCanvas) -> Double {
        canvas.text(title, 16, 24, size: 16, bold: true)
        for (i, line) in subtitleLines(subtitle).enumerated() {
            canvas.text(line, 16, 43 + Double(i) * 15, size: 11.5, color: "#555555")
        }
        return top(subtitle: subtitle)
    }

    /// Where the plot area may start below the title block.
    public static func top(subtitle: String?) -> Double {
        let n = subtitleLines(subtitle).count
        return n == 0 ? 40 : 58 + Double(n - 1) * 15
    }

    static func subtitleLines(_ subtitle: String?) -> [String] {
        guard let subtitle, !subtitle.isEmpty else { return [] }
        return wrap(subtitle, width: width - 32, size: 11.5)
    }

    /// Left margin a y axis needs for its tick labels and rotated axis label.
    public static func yAxisWidth(_ scale: AxisScale) -> Double {
        let widest = scale.ticks().map { SVGCanvas.textWidth(scale.label($0), size: tickSize) }.max() ?? 0
        return 16 + labelSize + 10 + widest + 8
    }

    /// Grid lines, y tick labels and the rotated axis label, for the plot rectangle (x, y, w, h).
    public static func drawYAxis(_ scale: AxisScale, label: String, plot: (x: Double, y: Double, w: Double, h: Double),
                                 labelCenterX: Double? = nil, on canvas: inout SVGCanvas) {
        for t in scale.ticks() {
            let py = scale.map(t)
            canvas.line(plot.x, py, plot.x + plot.w, py, stroke: "#e4e4e4", width: 1)
            canvas.line(plot.x - 4, py, plot.x, py, stroke: "#444444", width: 1)
            canvas.text(scale.label(t), plot.x - 7, py + tickSize * 0.36, size: tickSize, anchor: .end, color: "#333333")
        }
        let widest = scale.ticks().map { SVGCanvas.textWidth(scale.label($0), size: tickSize) }.max() ?? 0
        let lx = labelCenterX ?? (plot.x - 7 - widest - 10)
        canvas.text(label, lx, plot.y + plot.h / 2, size: labelSize, anchor: .middle, rotate: -90)
    }

    /// Numeric x ticks below the plot rectangle (labels thinned if they would touch) and the axis label.
    public static func drawXAxis(_ scale: AxisScale, label: String, plot: (x: Double, y: Double, w: Double, h: Double),
                                 on canvas: inout SVGCanvas, labelSize: Double = ChartFrame.labelSize) {
        let bottom = plot.y + plot.h
        var lastRight = -Double.infinity
        for t in scale.ticks() {
            let px = scale.map(t)
            canvas.line(px, plot.y, px, bottom, stroke: "#eeeeee", width: 1)
            canvas.line(px, bottom, px, bottom + 4, stroke: "#444444", width: 1)
            let text = scale.label(t)
            let w = SVGCanvas.textWidth(text, size: tickSize)
            guard px - w / 2 > lastRight + 6 else { continue }
            canvas.text(text, px, bottom + 17, size: tickSize, anchor: .middle, color: "#333333")
            lastRight = px + w / 2
        }
        canvas.text(label, plot.x + plot.w / 2, bottom + 36, size: labelSize, anchor: .middle)
    }

    /// The plot rectangle's outline (drawn last, over the data).
    public static func drawFrame(_ plot: (x: Double, y: Double, w: Double, h: Double), on canvas: inout SVGCanvas) {
        canvas.polyline([(plot.x, plot.y), (plot.x + plot.w, plot.y), (plot.x + plot.w, plot.y + plot.h),
                         (plot.x, plot.y + plot.h), (plot.x, plot.y)], stroke: "#444444", width: 1)
    }

    /// Small grey notes starting at `y`, each wrapped to the figure width; returns the y below them.
    public static func drawNotes(_ notes: [String], x: Double, y: Double, on canvas: inout SVGCanvas) -> Double {
        var y = y
        for line in notes.flatMap({ wrap($0, width: width - x - 16, size: 10.5) }) {
            canvas.text(line, x, y + 11, size: 10.5, color: "#555555")
            y += 15
        }
        return y
    }

    /// Height `drawNotes` takes.
    public static func notesHeight(_ notes: [String], x: Double) -> Double {
        Double(notes.flatMap { wrap($0, width: width - x - 16, size: 10.5) }.count) * 15
    }

    /// `text` split at spaces into lines no wider than `width` (estimated) at font `size`.
    public static func wrap(_ text: String, width: Double, size: Double) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ", omittingEmptySubsequences: false).map(String.init) {
            let candidate = current.isEmpty ? word : current + " " + word
            if SVGCanvas.textWidth(candidate, size: size) > width, !current.isEmpty {
                lines.append(current)
                current = word
            } else {
                current = candidate
            }
        }
        if !current.isEmpty { lines.append(current) }
        return lines
    }
}
