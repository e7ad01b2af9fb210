/// The content of an export, independent of its format: Markdown blocks, figures and Python code, in order.
/// `notebook(…)` and `markdown(…)` turn the same blocks into an nbformat-4 notebook or a Markdown file.
public struct ExportDocument: Sendable {
    /// A rendered SVG figure.
    public struct Figure: Sendable, Equatable {
        /// File-name stem suffix (`a-f1-vs-size`): Markdown exports write `<stem>-<key>.svg`.
        public var key: String
        /// One-line title (alt text and `text/plain` fallback).
        public var title: String
        public var svg: String
    }

    /// One block.
    public enum Block: Sendable, Equatable {
        case markdown(String)
        case figure(Figure)
        case code(String)
    }

    public var blocks: [Block]
    public var metadata: [String: String]

    /// Every figure, in order.
    public var figures: [Figure] {
        blocks.compactMap { if case let .figure(f) = $0 { return f } else { return nil } }
    }

    /// The notebook: Markdown cells, figure cells (`image/svg+xml` display data), code cells without outputs.
    public func notebook() -> Notebook {
        Notebook(cells: blocks.map { block in
            switch block {
            case let .markdown(text): return .markdown(text)
            case let .code(source): return .code(source)
            case let .figure(f):
                return .figure(source: "# Figure rendered by QuantBench (`qbench export`): \(f.title).\n"
                                + "# Static output; the Python cells below redraw from the run's files.",
                               svg: f.svg, alt: f.title)
            }
        }, quantbenchMetadata: metadata)
    }

    /// Markdown text, figures linked as `<stem>-<key>.svg` (written beside it), code in fenced `python` blocks.
    public func markdown(svgStem stem: String) -> String {
        blocks.map { block -> String in
            switch block {
            case let .markdown(text): return text.hasSuffix("\n") ? text : text + "\n"
            case let .code(source): return "```python\n" + source + (source.hasSuffix("\n") ? "" : "\n") + "```\n"
            case let .figure(f): return "![\(f.title)](\(Self.svgFileName(stem: stem, key: f.key)))\n"
            }
        }.joined(separator: "\n")
    }

    /// `<stem>-<key>.svg`.
    public static func svgFileName(stem: String, key: String) -> String { "\(stem)-\(key).svg" }
}
