import Foundation

/// A minimal SVG 1.1 writer: absolute coordinates in pixels, numbers with one decimal (deterministic text),
/// text XML-escaped. Plots draw on it and take `svg()` at the end.
public struct SVGCanvas: Sendable {
    public let width: Double
    public let height: Double
    /// Font stack for every text element (DejaVu Sans is what Debian's cairo/rsvg and matplotlib use).
    public static let fontFamily = "DejaVu Sans, Helvetica, Arial, sans-serif"
    private var body: [String] = []

    public init(width: Double, height: Double) {
        self.width = width
        self.height = height
        body.append("<rect x=\"0\" y=\"0\" width=\"\(Self.num(width))\" height=\"\(Self.num(height))\" fill=\"#ffffff\"/>")
    }

    /// The document, with `title` as its `<title>` (screen readers, tooltips).
    public func svg(title: String) -> String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"\(Self.num(width))\" "
            + "height=\"\(Self.num(height))\" viewBox=\"0 0 \(Self.num(width)) \(Self.num(height))\" "
            + "font-family=\"\(Self.fontFamily)\" font-size=\"12\">\n"
        out += "<title>\(Self.escape(title))</title>\n"
        out += body.joined(separator: "\n") + "\n</svg>\n"
        return out
    }

    /// A straight line.
    public mutating func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String,
                              width: Double = 1, dash: String? = nil) {
        body.append("<line x1=\"\(Self.num(x1))\" y1=\"\(Self.num(y1))\" x2=\"\(Self.num(x2))\" y2=\"\(Self.num(y2))\" "
                    + "stroke=\"\(stroke)\" stroke-width=\"\(Self.num(width))\"" + Self.dashAttribute(dash) + "/>")
    }

    /// A rectangle (`stroke` nil = no outline).
    public mutating func rect(_ x: Double, _ y: Double, _ w: Double, _ h: Double, fill: String,
                              stroke: String? = nil, opacity: Double? = nil) {
        var s = "<rect x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" width=\"\(Self.num(max(0, w)))\" height=\"\(Self.num(max(0, h)))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        if let opacity { s += " fill-opacity=\"\(Self.num(opacity, digits: 2))\"" }
        body.append(s + "/>")
    }

    /// An open polyline through `points` (one connected run; split runs at gaps before calling).
    public mutating func polyline(_ points: [(Double, Double)], stroke: String, width: Double = 1.5,
                                  dash: String? = nil, fill: String = "none", fillOpacity: Double? = nil) {
        guard points.count > 1 else { return }
        let pts = points.map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")
        var s = "<polyline points=\"\(pts)\" fill=\"\(fill)\" stroke=\"\(stroke)\" stroke-width=\"\(Self.num(width))\" "
            + "stroke-linejoin=\"round\"" + Self.dashAttribute(dash)
        if let fillOpacity { s += " fill-opacity=\"\(Self.num(fillOpacity, digits: 2))\"" }
        body.append(s + "/>")
    }

    /// A closed polygon.
    public mutating func polygon(_ points: [(Double, Double)], fill: String, stroke: String? = nil, opacity: Double? = nil) {
        let pts = points.map { "\(Self.num($0.0)),\(Self.num($0.1))" }.joined(separator: " ")
        var s = "<polygon points=\"\(pts)\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        if let opacity { s += " fill-opacity=\"\(Self.num(opacity, digits: 2))\"" }
        body.append(s + "/>")
    }

    /// A circle.
    public mutating func circle(_ cx: Double, _ cy: Double, r: Double, fill: String, stroke: String? = nil) {
        var s = "<circle cx=\"\(Self.num(cx))\" cy=\"\(Self.num(cy))\" r=\"\(Self.num(r))\" fill=\"\(fill)\""
        if let stroke { s += " stroke=\"\(stroke)\" stroke-width=\"1\"" }
        body.append(s + "/>")
    }

    /// Text anchored at (x, y) (baseline), optionally rotated by `rotate` degrees about that point.
    public mutating func text(_ string: String, _ x: Double, _ y: Double, size: Double = 12, anchor: TextAnchor = .start,
                              color: String = "#222222", bold: Bool = false, rotate: Double? = nil) {
        var s = "<text x=\"\(Self.num(x))\" y=\"\(Self.num(y))\" font-size=\"\(Self.num(size))\" fill=\"\(color)\""
        if anchor != .start { s += " text-anchor=\"\(anchor.rawValue)\"" }
        if bold { s += " font-weight=\"bold\"" }
        if let rotate { s += " transform=\"rotate(\(Self.num(rotate)) \(Self.num(x)) \(Self.num(y)))\"" }
        body.append(s + ">\(Self.escape(string))</text>")
    }

    /// `text-anchor` values.
    public enum TextAnchor: String, Sendable { case start, middle, end }

    /// Estimated width in pixels of `string` at `size` in DejaVu Sans (per-character advance classes; errs wide).
    public static func textWidth(_ string: String, size: Double) -> Double {
        var em = 0.0
        for ch in string {
            if "il.,:;'|!()[]{} /-".contains(ch) || ch == "j" || ch == "t" || ch == "f" || ch == "r" {
                em += 0.38
            } else if ch.isNumber || ch == "+" || ch == "=" || ch == "<" || ch == ">" {
                em += 0.64
            } else if ch == "m" || ch == "w" || ch == "M" || ch == "W" || ch == "—" || ch == "%" {
                em += 0.95
            } else if ch.isUppercase {
                em += 0.72
            } else {
                em += 0.62
            }
        }
        return em * size
    }

    /// XML text escaping (`&`, `<`, `>`, `"`, `'`; control characters dropped).
    public static func escape(_ s: String) -> String {
        var out = ""
        for u in s.unicodeScalars {
            switch u {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if u.value < 0x20 && u != "\t" && u != "\n" { continue }
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    /// A coordinate as text: `digits` decimals, no `-0`.
    public static func num(_ x: Double, digits: Int = 1) -> String {
        let s = String(format: "%.\(digits)f", x)
        return s.hasPrefix("-") && Double(s) == 0 ? String(s.dropFirst()) : s
    }

    private static func dashAttribute(_ dash: String?) -> String {
        guard let dash, !dash.isEmpty else { return "" }
        return " stroke-dasharray=\"\(dash)\""
    }
}
