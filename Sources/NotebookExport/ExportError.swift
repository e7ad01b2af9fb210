/// Errors of `qbench export` (STYLE.md §13): which file or folder, and what is wrong with it. Nothing is written
/// when one of these is thrown before the outputs are renamed into place.
public enum ExportError: Error, CustomStringConvertible, Equatable {
    /// `RUN_DIR` does not exist or is not a folder.
    case notARunFolder(path: String, reason: String)
    /// A file the export needs (`results.json`, `manifest.json`) is missing or cannot be decoded.
    case badRunFile(path: String, reason: String)
    /// `stats.h5` exists but cannot be read as the layout of docs/hdf5-layout.md.
    case badStatistics(path: String, reason: String)
    /// An output path cannot be written.
    case output(path: String, reason: String)
    /// Arguments that do not make sense together.
    case usage(String)

    public var description: String {
        switch self {
        case let .notARunFolder(path, reason): return "\(path): not a run folder: \(reason)"
        case let .badRunFile(path, reason): return "\(path): \(reason)"
        case let .badStatistics(path, reason): return "\(path): unreadable statistics file: \(reason)"
        case let .output(path, reason): return "\(path): cannot write: \(reason)"
        case let .usage(message): return message
        }
    }
}
