/// Errors of the statistics module: HDF5 calls that failed and files that could not be written or read
/// (STYLE.md §13). Messages name the file and the object path inside it.
public enum LayerStatsError: Error, CustomStringConvertible, Equatable {
    /// A libhdf5 call failed: `operation` (e.g. `H5Dcreate2`) on `object` (an HDF5 path such as
    /// `/schemes/pytorch-dynamic/summary/output_sqnr_db`).
    case hdf5(operation: String, object: String)
    /// An HDF5 object that a reader asked for does not exist or has another type or shape.
    case notFound(file: String, object: String, reason: String)
    /// Writing the output file failed (`path` is the destination, not the temporary file).
    case writeFailed(path: String, reason: String)
    /// A file to hash or read could not be opened.
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case let .hdf5(operation, object): return "HDF5: \(operation) failed for \(object)"
        case let .notFound(file, object, reason): return "\(file): \(object): \(reason)"
        case let .writeFailed(path, reason): return "\(path): cannot write: \(reason)"
        case let .unreadable(path, reason): return "\(path): cannot read: \(reason)"
        }
    }
}
