/// How one scheme is drawn, the same in every figure of an export: a colour (matplotlib's tab10, then tab10's
/// light variants), a marker shape and, past ten schemes, a dash pattern, so that 20+ lines stay distinguishable.
public struct SeriesStyle: Sendable, Equatable {
    public var color: String
    public var marker: Marker
    /// SVG `stroke-dasharray`, nil for solid.
    public var dash: String?

    /// Marker shapes.
    public enum Marker: Sendable, CaseIterable { case circle, square, triangle, diamond, triangleDown, star }

    static let colors = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                         "#bcbd22", "#17becf"]
    static let dashes: [String?] = [nil, "7 3", "2 2", "9 3 2 3"]
    static let markers: [Marker] = [.circle, .square, .triangle, .diamond, .triangleDown]

    /// The style of the `index`-th quantized scheme (0-based).
    public static func scheme(_ index: Int) -> SeriesStyle {
        SeriesStyle(color: colors[index % colors.count], marker: markers[index % markers.count],
                    dash: dashes[(index / colors.count) % dashes.count])
    }

    /// The FP32 reference: black star.
    public static let reference = SeriesStyle(color: "#000000", marker: .star, dash: "5 4")

    /// Draws the marker centred at (x, y), `size` pixels across.
    public func drawMarker(on canvas: inout SVGCanvas, _ x: Double, _ y: Double, size: Double = 7) {
        let r = size / 2
        switch marker {
        case .circle: canvas.circle(x, y, r: r, fill: color, stroke: "#ffffff")
        case .square: canvas.rect(x - r * 0.9, y - r * 0.9, r * 1.8, r * 1.8, fill: color, stroke: "#ffffff")
        case .triangle: canvas.polygon([(x, y - r * 1.15), (x + r * 1.1, y + r * 0.8), (x - r * 1.1, y + r * 0.8)], fill: color, stroke: "#ffffff")
        case .triangleDown: canvas.polygon([(x, y + r * 1.15), (x + r * 1.1, y - r * 0.8), (x - r * 1.1, y - r * 0.8)], fill: color, stroke: "#ffffff")
        case .diamond: canvas.polygon([(x, y - r * 1.2), (x + r, y), (x, y + r * 1.2), (x - r, y)], fill: color, stroke: "#ffffff")
        case .star:
            var pts: [(Double, Double)] = []
            for k in 0..<10 {
                let angle = Double.pi / 2 + Double(k) * Double.pi / 5
                let radius = k % 2 == 0 ? r * 1.5 : r * 0.65
                pts.append((x + radius * cos(angle), y - radius * sin(angle)))
            }
            canvas.polygon(pts, fill: color, stroke: "#ffffff")
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
