/// A legend laid out below a plot in as many equal columns as fit the width (column-major order), so long
/// scheme names never overlap the data and any number of entries fits by growing the figure's height.
public struct Legend: Sendable {
    /// One entry: text and how its swatch is drawn.
    public struct Entry: Sendable {
        public var label: String
        public var style: SeriesStyle
        public var swatch: Swatch
        public init(label: String, style: SeriesStyle, swatch: Swatch) {
            self.label = label
            self.style = style
            self.swatch = swatch
        }
    }

    /// Line with marker (line charts), marker alone (scatter), filled box (histograms), dashed rule (reference lines).
    public enum Swatch: Sendable { case line, marker, box, rule }

    public var entries: [Entry]
    public var fontSize: Double = 11
    public var rowHeight: Double = 17
    static let swatchWidth = 26.0
    static let gap = 18.0

    public init(entries: [Entry]) { self.entries = entries }

    /// Columns and rows for `width` pixels.
    public func grid(width: Double) -> (columns: Int, rows: Int, columnWidth: Double) {
        guard !entries.isEmpty else { return (1, 0, width) }
        let widest = entries.map { SVGCanvas.textWidth($0.label, size: fontSize) }.max() ?? 0
        let column = Self.swatchWidth + 6 + widest + Self.gap
        let columns = max(1, min(entries.count, Int(width / column)))
        let rows = (entries.count + columns - 1) / columns
        return (columns, rows, width / Double(columns))
    }

    /// Height in pixels at `width`.
    public func height(width: Double) -> Double { Double(grid(width: width).rows) * rowHeight }

    /// Draws the legend with its top-left corner at (x, y).
    public func draw(on canvas: inout SVGCanvas, x: Double, y: Double, width: Double) {
        let g = grid(width: width)
        for (i, e) in entries.enumerated() {
            let col = i / max(1, g.rows), row = i % max(1, g.rows)
            let left = x + Double(col) * g.columnWidth
            let mid = y + Double(row) * rowHeight + rowHeight / 2
            switch e.swatch {
            case .line:
                canvas.line(left, mid, left + Self.swatchWidth, mid, stroke: e.style.color, width: 2, dash: e.style.dash)
                e.style.drawMarker(on: &canvas, left + Self.swatchWidth / 2, mid, size: 6)
            case .marker:
                e.style.drawMarker(on: &canvas, left + Self.swatchWidth / 2, mid, size: 8)
            case .box:
                canvas.rect(left + 4, mid - 5, Self.swatchWidth - 8, 10, fill: e.style.color, opacity: 0.6)
            case .rule:
                canvas.line(left, mid, left + Self.swatchWidth, mid, stroke: e.style.color, width: 1.5, dash: e.style.dash)
            }
            canvas.text(e.label, left + Self.swatchWidth + 6, mid + fontSize * 0.36, size: fontSize)
        }
    }
}
