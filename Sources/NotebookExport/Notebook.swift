/// A Jupyter notebook in nbformat 4.5 (https://nbformat.readthedocs.io/en/latest/format_description.html; schema
/// `nbformat/v4/nbformat.v4.5.schema.json`): markdown cells and Python code cells whose outputs are
/// `display_data` bundles (`image/svg+xml` plus a `text/plain` fallback). Cell ids are `qb-01`, `qb-02`… so
/// the same content always gives the same bytes.
public struct Notebook: Sendable {
    /// One cell.
    public enum Cell: Sendable, Equatable {
        /// Markdown text.
        case markdown(String)
        /// Python source with no outputs (executed by the reader).
        case code(String)
        /// A cell that shows an SVG figure QuantBench rendered. `source` is a comment (the cell carries the tag
        /// `skip-execution`, so `jupyter nbconvert --execute` keeps the figure instead of clearing it).
        case figure(source: String, svg: String, alt: String)
    }

    public var cells: [Cell]
    /// Extra notebook metadata under the key `quantbench` (run name, version, config sha256).
    public var quantbenchMetadata: [String: String]

    public init(cells: [Cell], quantbenchMetadata: [String: String] = [:]) {
        self.cells = cells
        self.quantbenchMetadata = quantbenchMetadata
    }

    /// The notebook as nbformat-4.5 JSON text (what Jupyter itself writes: sorted keys, one-space indent).
    public func json() -> String {
        var cellValues: [JSONValue] = []
        for (i, cell) in cells.enumerated() {
            let id = JSONValue.string(String(format: "qb-%02d", i + 1))
            switch cell {
            case let .markdown(text):
                cellValues.append(.object(["cell_type": .string("markdown"), "id": id, "metadata": .object([:]),
                                           "source": Self.lines(text)]))
            case let .code(source):
                cellValues.append(.object(["cell_type": .string("code"), "id": id, "metadata": .object([:]),
                                           "execution_count": .null, "outputs": .array([]), "source": Self.lines(source)]))
            case let .figure(source, svg, alt):
                let output = JSONValue.object([
                    "output_type": .string("display_data"),
                    "data": .object(["image/svg+xml": Self.lines(svg), "text/plain": Self.lines(alt)]),
                    "metadata": .object([:]),
                ])
                cellValues.append(.object([
                    "cell_type": .string("code"), "id": id, "execution_count": .null,
                    "metadata": .object(["tags": .array([.string("skip-execution")]),
                                         "jupyter": .object(["source_hidden": .bool(true)])]),
                    "outputs": .array([output]), "source": Self.lines(source),
                ]))
            }
        }
        let metadata = JSONValue.object([
            "kernelspec": .object(["display_name": .string("Python 3 (ipykernel)"), "language": .string("python"),
                                   "name": .string("python3")]),
            "language_info": .object(["name": .string("python")]),
            "quantbench": .object(quantbenchMetadata.mapValues { .string($0) }),
        ])
        return JSONValue.object(["cells": .array(cellValues), "metadata": metadata, "nbformat": .int(4),
                                 "nbformat_minor": .int(5)]).serialized()
    }

    /// Multi-line text as Jupyter stores it: a list of lines, each but the last ending with `\n`.
    static func lines(_ text: String) -> JSONValue {
        var parts: [JSONValue] = []
        var current = ""
        for ch in text {
            current.append(ch)
            if ch == "\n" { parts.append(.string(current)); current = "" }
        }
        if !current.isEmpty { parts.append(.string(current)) }
        return .array(parts)
    }
}
