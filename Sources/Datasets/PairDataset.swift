import Foundation

/// A sentence-pair data set read from a GLUE MRPC TSV or the MSRP corpus file.
///
/// Format (both): a header line, then rows of 5 tab-separated fields
/// `Quality, #1 ID, #2 ID, #1 String, #2 String`; optional UTF-8 BOM; LF or CRLF; no quoting (a `"` is text).
/// GLUE's unlabelled `test.tsv` has `index` instead of `Quality`; its examples get `label == nil`.
/// Mirrors GLUE `download_glue_data.py` / HF `datasets` `glue/mrpc` reading.
public struct PairDataset: Sendable {
    /// File the examples came from.
    public let path: String
    /// Examples in file order.
    public let examples: [PairExample]
    /// True when every example has a label.
    public var isLabelled: Bool { examples.allSatisfy { $0.label != nil } }
    public var count: Int { examples.count }
    /// Gold labels; precondition: `isLabelled`.
    public var labels: [Int] { examples.map { $0.label! } }

    /// Reads a TSV file, or `<folder>/<split>.tsv` when `path` is a GLUE task folder.
    public static func load(path: String, split: String = "dev") throws -> PairDataset {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw DatasetError.unreadable(path: path, reason: "no such file or directory")
        }
        if isDir.boolValue {
            let file = (path as NSString).appendingPathComponent("\(split).tsv")
            guard FileManager.default.fileExists(atPath: file) else {
                let found = ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [])
                    .filter { $0.hasSuffix(".tsv") }.sorted()
                throw DatasetError.missingSplit(folder: path, split: split, available: found)
            }
            return try load(file: file)
        }
        return try load(file: path)
    }

    /// Reads one TSV file.
    public static func load(file: String) throws -> PairDataset {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: file))
        } catch {
            throw DatasetError.unreadable(path: file, reason: error.localizedDescription)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw DatasetError.unreadable(path: file, reason: "not valid UTF-8")
        }
        return try parse(text: text, path: file)
    }

    /// Parses TSV text (exposed for tests); `path` is only used in error messages.
    public static func parse(text: String, path: String) throws -> PairDataset {
        var body = Substring(text)
        if body.unicodeScalars.first == "\u{FEFF}" { body = Substring(body.unicodeScalars.dropFirst()) }
        // "\r\n" is one Character in Swift, so split on both separators explicitly.
        var lines = body.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        if lines.last == "" { lines.removeLast() }
        guard let header = lines.first else { throw DatasetError.emptyFile(path: path) }
        let headerFields = header.split(separator: "\t", omittingEmptySubsequences: false)
        guard headerFields.count == 5 else { throw DatasetError.badHeader(path: path, found: String(header)) }
        let unlabelled = headerFields[0].lowercased() == "index"
        var examples: [PairExample] = []
        examples.reserveCapacity(lines.count)
        for (i, line) in lines.dropFirst().enumerated() {
            let lineNumber = i + 2
            if line.isEmpty { continue }
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard f.count == 5 else {
                throw DatasetError.badRow(path: path, line: lineNumber, columns: f.count, expected: 5)
            }
            var label: Int? = nil
            if !unlabelled {
                guard let l = Int(f[0]), l == 0 || l == 1 else {
                    throw DatasetError.badLabel(path: path, line: lineNumber, value: String(f[0]))
                }
                label = l
            }
            examples.append(PairExample(index: examples.count, label: label, id1: String(f[1]), id2: String(f[2]),
                                        textA: String(f[3]), textB: String(f[4]), line: lineNumber))
        }
        guard !examples.isEmpty else { throw DatasetError.notEnoughExamples(path: path, have: 0) }
        return PairDataset(path: path, examples: examples)
    }

    public init(path: String, examples: [PairExample]) {
        self.path = path
        self.examples = examples
    }
}
