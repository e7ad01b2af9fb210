import Foundation

/// `CITATION.cff` (Citation File Format 1.2.0) and `citation.bib` for a run folder: the run is cited as a data
/// set made with QuantBench at a given commit from a config with a given sha256.
public enum RunCitation {
    /// The title: the config's `citation.title`, else "QuantBench run <run>: <description>".
    static func title(_ m: RunManifest) -> String {
        m.config.citation.title ?? ("QuantBench run \(m.run)" + (m.config.description.isEmpty ? "" : ": \(m.config.description)"))
    }

    /// `CITATION.cff`.
    public static func cff(_ m: RunManifest) -> String {
        let date = String(m.started.prefix(10))
        var out = "cff-version: 1.2.0\n"
        out += "message: \"If you use these results, please cite this run as below.\"\n"
        out += "type: dataset\n"
        out += "title: \(yaml(title(m)))\n"
        out += "authors:\n" + m.config.citation.authors.map { "  - name: \(yaml($0))\n" }.joined()
        out += "date-released: \(date)\n"
        out += "version: \(yaml(m.run))\n"
        if let url = m.config.citation.url { out += "url: \(yaml(url))\n" }
        out += "abstract: \(yaml(abstract(m)))\n"
        out += "keywords:\n  - quantization\n  - BERT\n  - MRPC\n"
        out += "references:\n"
        out += "  - type: software\n    title: QuantBench\n    version: \(yaml(m.environment.quantbenchVersion))\n"
        out += "    authors:\n      - name: QuantBench contributors\n"
        if m.environment.gitCommit != "unknown" { out += "    commit: \(yaml(m.environment.gitCommit))\n" }
        out += "  - type: article\n    title: \"Q8BERT: Quantized 8Bit BERT\"\n"
        out += "    authors:\n      - family-names: Zafrir\n        given-names: Ofir\n"
        out += "      - family-names: Boudoukh\n        given-names: Guy\n"
        out += "      - family-names: Izsak\n        given-names: Peter\n"
        out += "      - family-names: Wasserblat\n        given-names: Moshe\n"
        out += "    year: 2019\n    identifiers:\n      - type: other\n        value: \"arXiv:1910.06188\"\n"
        return out
    }

    /// A BibTeX `@misc` entry keyed `quantbench:<run>`.
    public static func bibtex(_ m: RunManifest) -> String {
        let year = m.started.prefix(4)
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let month = Int(m.started.dropFirst(5).prefix(2)).map { months[max(0, min(11, $0 - 1))] } ?? "jan"
        var out = "@misc{quantbench:\(m.run),\n"
        out += "  title        = {\(bib(title(m)))},\n"
        out += "  author       = {\(m.config.citation.authors.map { "{\(bib($0))}" }.joined(separator: " and "))},\n"
        out += "  year         = {\(year)},\n"
        out += "  month        = \(month),\n"
        if let url = m.config.citation.url { out += "  howpublished = {\\url{\(url)}},\n" }
        out += "  note         = {\(bib(abstract(m)))}\n"
        out += "}\n"
        return out
    }

    static func abstract(_ m: RunManifest) -> String {
        let commit = m.environment.gitCommit == "unknown" ? "unknown commit"
            : "commit \(m.environment.gitCommit)" + (m.environment.gitDirty == true ? " with uncommitted changes" : "")
        return "QuantBench \(m.environment.quantbenchVersion) (\(commit)) sweep of \(m.schemes.count) quantization schemes; "
            + "experiment \(m.config.name), config sha256 \(m.configSHA256); model \(m.modelShape); "
            + "run \(m.run) on \(m.environment.cpu)."
    }

    static func yaml(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    static func bib(_ s: String) -> String {
        var out = ""
        for ch in s {
            switch ch {
            case "&", "%", "$", "#", "_", "{", "}": out += "\\\(ch)"
            case "×": out += "$\\times$"
            default: out.append(ch)
            }
        }
        return out
    }
}
