import CHDF5
import Foundation
import _Support

/// An attribute value: a UTF-8 string (variable length, read by h5py as `str`), a number, or a 1-D array.
public enum HDF5Value: Equatable, Sendable, CustomStringConvertible {
    /// Scalar variable-length UTF-8 string.
    case string(String)
    /// Scalar float64.
    case double(Double)
    /// Scalar int64.
    case int(Int64)
    /// 1-D float64 array.
    case doubles([Double])
    /// 1-D int64 array.
    case ints([Int64])

    public var description: String {
        switch self {
        case let .string(s): return s
        case let .double(d): return "\(d)"
        case let .int(i): return "\(i)"
        case let .doubles(a): return "\(a)"
        case let .ints(a): return "\(a)"
        }
    }
}

/// Builds an HDF5 file through the libhdf5 C API, in memory, and writes it out in one atomic step.
///
/// The file lives in libhdf5's core driver without a backing store (`H5Pset_fapl_core(…, backing_store = 0)`)
/// until `write(to:)`, which takes the file image (`H5Fget_file_image`) and writes it to a temporary file in the
/// destination's folder, `fsync`s it and renames it into place. An error, or a kill at any time before the
/// rename, never leaves a file at the destination.
///
/// Objects are created with `H5Pset_obj_track_times(false)`, so the same calls give the same bytes (no
/// modification times in object headers). Paths are absolute (`/schemes/fp16/summary/layer_names`); parent
/// groups are created as needed.
public final class HDF5Writer {
    private var file: hid_t = -1
    private var groupPlist: hid_t = -1
    private var datasetPlist: hid_t = -1
    private var groups: Set<String> = ["/"]

    /// An empty in-memory file.
    /// - Throws: `LayerStatsError.hdf5` when libhdf5 cannot create it.
    public init() throws {
        _ = HDF5Library.initialized
        let fapl = H5Pcreate(HDF5Library.fileAccess)
        guard fapl >= 0 else { throw LayerStatsError.hdf5(operation: "H5Pcreate(file access)", object: "/") }
        defer { H5Pclose(fapl) }
        guard H5Pset_fapl_core(fapl, 1 << 20, false) >= 0 else {
            throw LayerStatsError.hdf5(operation: "H5Pset_fapl_core", object: "/")
        }
        file = H5Fcreate("quantbench-\(UUID().uuidString).h5", HDF5Library.truncate, HDF5Library.defaultPlist, fapl)
        guard file >= 0 else { throw LayerStatsError.hdf5(operation: "H5Fcreate (in memory)", object: "/") }
        groupPlist = H5Pcreate(HDF5Library.groupCreate)
        datasetPlist = H5Pcreate(HDF5Library.datasetCreate)
        guard groupPlist >= 0, datasetPlist >= 0,
              H5Pset_obj_track_times(groupPlist, false) >= 0, H5Pset_obj_track_times(datasetPlist, false) >= 0 else {
            close()
            throw LayerStatsError.hdf5(operation: "H5Pset_obj_track_times", object: "/")
        }
    }

    deinit { close() }

    /// Releases the in-memory file (idempotent).
    public func close() {
        if groupPlist >= 0 { H5Pclose(groupPlist); groupPlist = -1 }
        if datasetPlist >= 0 { H5Pclose(datasetPlist); datasetPlist = -1 }
        if file >= 0 { H5Fclose(file); file = -1 }
    }

    /// Creates group `path` and any missing parents.
    public func createGroup(_ path: String) throws {
        try checkOpen(path)
        let parts = components(path)
        var current = ""
        for part in parts {
            current += "/" + part
            if groups.contains(current) { continue }
            let g = H5Gcreate2(file, current, HDF5Library.defaultPlist, groupPlist, HDF5Library.defaultPlist)
            guard g >= 0 else { throw LayerStatsError.hdf5(operation: "H5Gcreate2", object: current) }
            H5Gclose(g)
            groups.insert(current)
        }
    }

    /// Writes a numeric dataset; `shape` defaults to `[values.count]` and must multiply out to `values.count`.
    public func write<T: HDF5Element>(_ path: String, _ values: [T], shape: [Int]? = nil) throws {
        let dims = shape ?? [values.count]
        precondition(dims.reduce(1, *) == values.count, "HDF5Writer: shape \(dims) for \(values.count) values at \(path)")
        try createParent(of: path)
        try withDataset(path, type: T.hdf5Type, dims: dims) { d in
            guard !values.isEmpty else { return 0 }
            return values.withUnsafeBytes { H5Dwrite(d, T.hdf5Type, HDF5Library.all, HDF5Library.all, HDF5Library.defaultPlist, $0.baseAddress) }
        }
    }

    /// Writes a 1-D dataset of variable-length UTF-8 strings (h5py: `dataset.asstr()[()]`).
    public func write(_ path: String, strings: [String]) throws {
        try createParent(of: path)
        let type = HDF5Library.utf8StringType()
        defer { H5Tclose(type) }
        let copies = strings.map { strdup($0) }
        defer { copies.forEach { free($0) } }
        var pointers: [UnsafePointer<CChar>?] = copies.map { UnsafePointer($0) }
        try withDataset(path, type: type, dims: [strings.count]) { d in
            guard !strings.isEmpty else { return 0 }
            return pointers.withUnsafeMutableBytes { H5Dwrite(d, type, HDF5Library.all, HDF5Library.all, HDF5Library.defaultPlist, $0.baseAddress) }
        }
    }

    /// Sets attribute `name` on the group or dataset at `path` (replacing an existing one).
    public func setAttribute(_ name: String, _ value: HDF5Value, on path: String = "/") throws {
        try checkOpen(path)
        let obj = H5Oopen(file, path, HDF5Library.defaultPlist)
        guard obj >= 0 else { throw LayerStatsError.hdf5(operation: "H5Oopen", object: path) }
        defer { H5Oclose(obj) }
        if H5Aexists(obj, name) > 0 { _ = H5Adelete(obj, name) }
        let where_ = "\(path)@\(name)"
        func create(_ type: hid_t, dims: [Int]?, _ body: (hid_t) -> herr_t) throws {
            let space: hid_t
            if let dims {
                var d = dims.map { hsize_t($0) }
                space = H5Screate_simple(Int32(d.count), &d, nil)
            } else {
                space = H5Screate(H5S_SCALAR)
            }
            guard space >= 0 else { throw LayerStatsError.hdf5(operation: "H5Screate", object: where_) }
            defer { H5Sclose(space) }
            let a = H5Acreate2(obj, name, type, space, HDF5Library.defaultPlist, HDF5Library.defaultPlist)
            guard a >= 0 else { throw LayerStatsError.hdf5(operation: "H5Acreate2", object: where_) }
            defer { H5Aclose(a) }
            guard body(a) >= 0 else { throw LayerStatsError.hdf5(operation: "H5Awrite", object: where_) }
        }
        switch value {
        case let .string(s):
            let type = HDF5Library.utf8StringType()
            defer { H5Tclose(type) }
            try s.withCString { c in
                var p: UnsafePointer<CChar>? = c
                try create(type, dims: nil) { a in withUnsafeMutableBytes(of: &p) { H5Awrite(a, type, $0.baseAddress) } }
            }
        case var .double(d):
            try create(HDF5Library.double, dims: nil) { a in H5Awrite(a, HDF5Library.double, &d) }
        case var .int(i):
            try create(HDF5Library.int64, dims: nil) { a in H5Awrite(a, HDF5Library.int64, &i) }
        case let .doubles(v):
            try create(HDF5Library.double, dims: [v.count]) { a in
                v.isEmpty ? 0 : v.withUnsafeBytes { H5Awrite(a, HDF5Library.double, $0.baseAddress) }
            }
        case let .ints(v):
            try create(HDF5Library.int64, dims: [v.count]) { a in
                v.isEmpty ? 0 : v.withUnsafeBytes { H5Awrite(a, HDF5Library.int64, $0.baseAddress) }
            }
        }
    }

    /// Sets several attributes on one object, in the dictionary's sorted key order (deterministic layout).
    public func setAttributes(_ values: [String: HDF5Value], on path: String) throws {
        for key in values.keys.sorted() { try setAttribute(key, values[key]!, on: path) }
    }

    /// The bytes of the file as it stands (flushed first).
    public func image() throws -> [UInt8] {
        try checkOpen("/")
        guard H5Fflush(file, H5F_SCOPE_GLOBAL) >= 0 else { throw LayerStatsError.hdf5(operation: "H5Fflush", object: "/") }
        let size = H5Fget_file_image(file, nil, 0)
        guard size > 0 else { throw LayerStatsError.hdf5(operation: "H5Fget_file_image", object: "/") }
        var bytes = [UInt8](repeating: 0, count: size)
        let got = bytes.withUnsafeMutableBytes { H5Fget_file_image(file, $0.baseAddress, size) }
        guard got == size else { throw LayerStatsError.hdf5(operation: "H5Fget_file_image", object: "/") }
        return bytes
    }

    /// Writes the file to `path` atomically (temporary file in the same folder, `fsync`, `rename`).
    /// - Throws: `LayerStatsError.writeFailed` naming `path`; nothing is left at `path` or in the folder.
    public func write(to path: String) throws {
        let bytes = try image()
        do { try AtomicFile.write([Data(bytes)], to: URL(fileURLWithPath: path)) } catch let SupportError.writeFailed(_, reason) {
            throw LayerStatsError.writeFailed(path: path, reason: reason)
        }
    }

    // MARK: - Helpers

    private func checkOpen(_ object: String) throws {
        guard file >= 0 else { throw LayerStatsError.hdf5(operation: "use after close", object: object) }
    }

    private func components(_ path: String) -> [String] {
        path.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
    }

    private func createParent(of path: String) throws {
        let parts = components(path)
        guard parts.count > 1 else { return }
        try createGroup("/" + parts.dropLast().joined(separator: "/"))
    }

    private func withDataset(_ path: String, type: hid_t, dims: [Int], _ write: (hid_t) -> herr_t) throws {
        try checkOpen(path)
        var d = dims.map { hsize_t($0) }
        let space = H5Screate_simple(Int32(d.count), &d, nil)
        guard space >= 0 else { throw LayerStatsError.hdf5(operation: "H5Screate_simple", object: path) }
        defer { H5Sclose(space) }
        let ds = H5Dcreate2(file, path, type, space, HDF5Library.defaultPlist, datasetPlist, HDF5Library.defaultPlist)
        guard ds >= 0 else { throw LayerStatsError.hdf5(operation: "H5Dcreate2", object: path) }
        defer { H5Dclose(ds) }
        guard write(ds) >= 0 else { throw LayerStatsError.hdf5(operation: "H5Dwrite", object: path) }
    }
}
