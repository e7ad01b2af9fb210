/// Every error the Datasets module throws; messages name the file and line.
public enum DatasetError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case emptyFile(path: String)
    case badHeader(path: String, found: String)
    case badRow(path: String, line: Int, columns: Int, expected: Int)
    case badLabel(path: String, line: Int, value: String)
    case missingSplit(folder: String, split: String, available: [String])
    case notEnoughExamples(path: String, have: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason):
            return "cannot read data file \(path): \(reason)"
        case let .emptyFile(path):
            return "data file \(path) is empty (a header line is required)"
        case let .badHeader(path, found):
            return "data file \(path), line 1: expected a header with 5 tab-separated columns "
                + "(Quality, #1 ID, #2 ID, #1 String, #2 String), found \"\(found.prefix(80))\""
        case let .badRow(path, line, columns, expected):
            return "data file \(path), line \(line): \(columns) tab-separated column(s), expected \(expected)"
        case let .badLabel(path, line, value):
            return "data file \(path), line \(line): label \"\(value.count <= 80 ? value : value.prefix(80) + "…")\" is not 0 or 1"
        case let .missingSplit(folder, split, available):
            return "task folder \(folder) has no \(split).tsv (found: \(available.isEmpty ? "none" : available.joined(separator: ", ")))"
        case let .notEnoughExamples(path, have):
            return "data file \(path) has no examples (\(have) rows)"
        }
    }
}
