import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Parses SVG text with Foundation's XMLParser and collects its `<text>` elements.
final class SVGXML: NSObject, XMLParserDelegate {
    struct TextElement {
        var x: Double
        var y: Double
        var size: Double
        var anchor: String
        var rotated: Bool
        var string: String
    }

    private(set) var texts: [TextElement] = []
    private(set) var rootWidth: Double = 0
    private(set) var rootHeight: Double = 0
    private var current: TextElement?

    /// Nil when the text is not well-formed XML; otherwise the parsed document.
    static func parse(_ svg: String) -> SVGXML? {
        let p = XMLParser(data: Data(svg.utf8))
        let d = SVGXML()
        p.delegate = d
        return p.parse() ? d : nil
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes a: [String: String] = [:]) {
        if name == "svg" {
            rootWidth = Double(a["width"] ?? "") ?? 0
            rootHeight = Double(a["height"] ?? "") ?? 0
        }
        if name == "text" {
            current = TextElement(x: Double(a["x"] ?? "") ?? 0, y: Double(a["y"] ?? "") ?? 0,
                                  size: Double(a["font-size"] ?? "") ?? 12, anchor: a["text-anchor"] ?? "start",
                                  rotated: a["transform"] != nil, string: "")
        }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { current?.string += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text", let c = current { texts.append(c); current = nil }
    }
}
