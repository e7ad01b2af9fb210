import Foundation
import NotebookExport
import XCTest

/// Unit tests of the export's building blocks: deterministic JSON, nbformat structure, SVG escaping and
/// well-formedness, tick choice, layer naming and label thinning for bert-base-sized models.
final class NotebookExportTests: XCTestCase {
    func testJSONIsSortedWithOneSpaceIndentLikeJupyter() {
        let v = JSONValue.object(["b": .array([.int(1), .string("x\"\n\u{01}é")]), "a": .object([:]), "c": .array([])])
        XCTAssertEqual(v.serialized(), "{\n \"a\": {},\n \"b\": [\n  1,\n  \"x\\\"\\n\\u0001é\"\n ],\n \"c\": []\n}\n")
    }

    func testNotebookHasNbformat45Structure() throws {
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\"></svg>\n"
        let nb = Notebook(cells: [.markdown("# T\n\ntext"), .figure(source: "# fig", svg: svg, alt: "fig"), .code("x = 1\nx")],
                          quantbenchMetadata: ["run": "r"])
        let object = try JSONSerialization.jsonObject(with: Data(nb.json().utf8)) as! [String: Any]
        XCTAssertEqual(object["nbformat"] as? Int, 4)
        XCTAssertEqual(object["nbformat_minor"] as? Int, 5)
        let cells = object["cells"] as! [[String: Any]]
        XCTAssertEqual(cells.map { $0["cell_type"] as! String }, ["markdown", "code", "code"])
        XCTAssertEqual(Set(cells.map { $0["id"] as! String }).count, 3)
        XCTAssertEqual(cells[0]["source"] as! [String], ["# T\n", "\n", "text"])
        let output = (cells[1]["outputs"] as! [[String: Any]])[0]
        XCTAssertEqual(output["output_type"] as? String, "display_data")
        XCTAssertEqual(((output["data"] as! [String: Any])["image/svg+xml"] as! [String]).joined(), svg)
        XCTAssertEqual((cells[1]["metadata"] as! [String: Any])["tags"] as! [String], ["skip-execution"])
        XCTAssertEqual((cells[2]["outputs"] as! [Any]).count, 0)
        XCTAssertTrue(cells[2]["execution_count"] is NSNull)
    }

    func testSVGTextIsEscapedAndParses() throws {
        var c = SVGCanvas(width: 100, height: 50)
        c.text("a < b & \"c\" > 'd'", 5, 20)
        let doc = try XCTUnwrap(SVGXML.parse(c.svg(title: "t & <u>")))
        XCTAssertEqual(doc.texts.first?.string, "a < b & \"c\" > 'd'")
    }

    func testTicksUseOneTwoFiveSteps() {
        let s = AxisScale(lo: 0.8, hi: 0.9, pixelLo: 0, pixelHi: 100)
        XCTAssertEqual(s.ticks().map { ($0 * 100).rounded() }, [80, 82, 84, 86, 88, 90])
        XCTAssertEqual(s.label(0.84), "0.84")
        XCTAssertEqual(AxisScale(lo: 0.855, hi: 0.876, pixelLo: 0, pixelHi: 1).ticks().count, 5)
        let log = AxisScale(lo: 1, hi: 1e7, pixelLo: 0, pixelHi: 100, logarithmic: true)
        XCTAssertEqual(log.ticks().map { log.label($0) }, ["1", "10", "100", "1k", "10k", "100k", "1M", "10M"])
        XCTAssertEqual(AxisScale(lo: -3, hi: 2, pixelLo: 0, pixelHi: 1).label(-2), "−2")
    }

    func testLayerNamesOfAnyDepth() {
        XCTAssertEqual(LayerNaming.linear("encoder.layer.11.attention.self.query").group, "L11")
        XCTAssertEqual(LayerNaming.linear("encoder.layer.11.output.dense").label, "ffn.out")
        XCTAssertEqual(LayerNaming.linear("encoder.layer.3.attention.output.dense").label, "attn.out")
        XCTAssertEqual(LayerNaming.linear("classifier").group, "head")
        XCTAssertEqual(LayerNaming.hiddenState("encoder.layer.23"), "L23")
        XCTAssertEqual(LayerNaming.hiddenState("embeddings"), "emb")
    }

    /// bert-base (74 linears) and bert-large (146) charts with 20 schemes: well-formed, every text inside the
    /// figure, per-linear labels only where they fit, group labels that do not collide.
    func testLayerChartsStayInsideTheFigureAtAnyDepth() throws {
        for (layers, expectEveryLabel) in [(6, true), (12, false), (24, false)] {
            var names: [String] = []
            for l in 0..<layers {
                for part in ["attention.self.query", "attention.self.key", "attention.self.value", "attention.output.dense",
                             "intermediate.dense", "output.dense"] { names.append("encoder.layer.\(l).\(part)") }
            }
            names += ["pooler.dense", "classifier"]
            let categories = names.map { n -> CategoryLineChart.Category in
                let (g, l) = LayerNaming.linear(n)
                return .init(label: l, group: g)
            }
            let series = (0..<20).map { i in
                CategoryLineChart.Series(name: "ablation.act-symmetric.act-8bit.w-per-channel.requant-\(i)",
                                         values: names.indices.map { $0 == names.count - 1 ? .infinity : 20 + Double(($0 * 7 + i) % 30) },
                                         style: .scheme(i))
            }
            let subtitle = "each layer's output vs the FP32 model's, real tokens, 408 examples; higher = closer to FP32 · order inside a layer: query, key, value, attn.out, ffn.in, ffn.out"
            let chart = CategoryLineChart(categories: categories, series: series, title: "t", subtitle: subtitle, xLabel: "x", yLabel: "y")
            XCTAssertEqual(chart.labelsEveryCategory, expectEveryLabel, "\(layers) layers")
            let doc = try XCTUnwrap(SVGXML.parse(chart.svg()), "\(layers) layers: not well-formed")
            assertInside(doc, "\(layers) layers")
            // Horizontal texts on one baseline must not overlap.
            let rows = Dictionary(grouping: doc.texts.filter { !$0.rotated }, by: { $0.y })
            for (_, row) in rows {
                let boxes = row.map { t -> (Double, Double) in
                    let w = SVGCanvas.textWidth(t.string, size: t.size)
                    let x0 = t.anchor == "middle" ? t.x - w / 2 : t.anchor == "end" ? t.x - w : t.x
                    return (x0, x0 + w)
                }.sorted { $0.0 < $1.0 }
                for (a, b) in zip(boxes, boxes.dropFirst()) {
                    XCTAssertLessThanOrEqual(a.1, b.0 + 0.5, "\(layers) layers: overlapping labels")
                }
            }
        }
    }

    func testScatterLabelsFallBackToNumbersWhenCrowded() throws {
        var points: [F1SizePlot.Point] = []
        for i in 0..<18 {
            let megabytes: Double = i == 0 ? 90.9 : 23.5
            let f1: Double = 0.80 + Double(i % 5) * 0.0004
            let style: SeriesStyle = i == 0 ? .reference : .scheme(i)
            points.append(F1SizePlot.Point(scheme: "ablation.variant-number-\(i)", megabytes: megabytes, f1: f1,
                                           style: style, isReference: i == 0))
        }
        let svg = F1SizePlot(points: points, title: "F1 vs model size", subtitle: "s", yLabel: "F1").svg()
        let doc = try XCTUnwrap(SVGXML.parse(svg))
        assertInside(doc, "scatter")
        XCTAssertTrue(doc.texts.contains { $0.string.hasPrefix("18. ablation.variant-number-17") }, "numbered legend")
    }

    /// A point with an interval gets a vertical bar and two caps in its colour; one without gets none, and the
    /// y axis widens to hold the bars.
    func testScatterDrawsErrorBarsWhenPresent() throws {
        let points = [
            F1SizePlot.Point(scheme: "fp32", megabytes: 90.9, f1: 0.88, style: .reference, isReference: true, errorBar: 0.85...0.91),
            F1SizePlot.Point(scheme: "int8", megabytes: 23.5, f1: 0.87, style: .scheme(0), isReference: false, errorBar: 0.80...0.93),
            F1SizePlot.Point(scheme: "old", megabytes: 45.0, f1: 0.86, style: .scheme(1), isReference: false),
        ]
        let svg = F1SizePlot(points: points, title: "F1 vs model size", subtitle: "s", yLabel: "F1").svg()
        let doc = try XCTUnwrap(SVGXML.parse(svg))
        assertInside(doc, "error bars")
        func bars(_ color: String) -> Int { svg.components(separatedBy: "stroke=\"\(color)\" stroke-width=\"1.2\"").count - 1 }
        XCTAssertEqual(bars("#000000"), 3)
        XCTAssertEqual(bars(SeriesStyle.scheme(0).color), 3)
        XCTAssertEqual(bars(SeriesStyle.scheme(1).color), 0)
        XCTAssertTrue(doc.texts.contains { $0.string == "0.94" || $0.string == "0.95" }, "y ticks reach the top of the widest bar")
    }

    func testRelativePaths() {
        let f = { (a: String, b: String) in RunExporter.relativePath(from: URL(fileURLWithPath: a), to: URL(fileURLWithPath: b)) }
        XCTAssertEqual(f("/w/p/notebooks-export", "/w/p/notebooks-export/run-1"), "run-1")
        XCTAssertEqual(f("/w/p/out", "/w/p/runs/run-1"), "../runs/run-1")
        XCTAssertEqual(f("/w/p/runs/run-1", "/w/p/runs/run-1"), ".")
        XCTAssertEqual(f("/tmp/x", "/work/p/run"), "/work/p/run")
    }

    /// Every text's estimated extent lies inside the figure.
    func assertInside(_ doc: SVGXML, _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        for t in doc.texts {
            let w = SVGCanvas.textWidth(t.string, size: t.size)
            if t.rotated {
                XCTAssertGreaterThanOrEqual(t.y - (t.anchor == "end" ? 0 : w), 0, "\(what): '\(t.string)' clipped", file: file, line: line)
                XCTAssertLessThanOrEqual(t.y + (t.anchor == "end" ? w : 0), doc.rootHeight, "\(what): '\(t.string)' clipped", file: file, line: line)
                continue
            }
            let x0 = t.anchor == "middle" ? t.x - w / 2 : t.anchor == "end" ? t.x - w : t.x
            XCTAssertGreaterThanOrEqual(x0, 0, "\(what): '\(t.string)' clipped left", file: file, line: line)
            XCTAssertLessThanOrEqual(x0 + w, doc.rootWidth, "\(what): '\(t.string)' clipped right", file: file, line: line)
            XCTAssertLessThanOrEqual(t.y, doc.rootHeight, "\(what): '\(t.string)' below the figure", file: file, line: line)
            XCTAssertGreaterThanOrEqual(t.y - t.size, 0, "\(what): '\(t.string)' above the figure", file: file, line: line)
        }
    }
}
