import CHDF5
import Foundation

/// Read access to an HDF5 file (tests, tools): numeric datasets as any `HDF5Element` (libhdf5 converts), string
/// datasets, attributes and group listings.
public final class HDF5File {
    /// The file's path.
    public let path: String
    private var file: hid_t

    /// Opens `path` read-only.
    /// - Throws: `LayerStatsError.unreadable` when libhdf5 cannot open it.
    public init(path: String) throws {
        _ = HDF5Library.initialized
        self.path = path
        file = H5Fopen(path, HDF5Library.readOnly, HDF5Library.defaultPlist)
        guard file >= 0 else { throw LayerStatsError.unreadable(path: path, reason: "not an HDF5 file, or missing") }
    }

    deinit { if file >= 0 { H5Fclose(file) } }

    /// True when a link `path` exists (each parent must exist too).
    public func exists(_ object: String) -> Bool {
        var current = ""
        for part in object.split(separator: "/") {
            current += "/" + part
            guard H5Lexists(file, current, HDF5Library.defaultPlist) > 0 else { return false }
        }
        return true
    }

    /// Names of the members of group `path`, in libhdf5's name order.
    public func members(of group: String) throws -> [String] {
        let g = H5Gopen2(file, group, HDF5Library.defaultPlist)
        guard g >= 0 else { throw missing(group, "no such group") }
        defer { H5Gclose(g) }
        var info = H5G_info_t()
        guard H5Gget_info(g, &info) >= 0 else { throw missing(group, "H5Gget_info failed") }
        var names: [String] = []
        for i in 0..<info.nlinks {
            let n = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, HDF5Library.defaultPlist)
            guard n >= 0 else { throw missing(group, "H5Lget_name_by_idx failed") }
            var buf = [CChar](repeating: 0, count: n + 1)
            _ = H5Lget_name_by_idx(g, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, n + 1, HDF5Library.defaultPlist)
            names.append(String(cString: buf))
        }
        return names
    }

    /// A numeric dataset's values (converted to `T`) and shape.
    public func read<T: HDF5Element>(_ object: String, as: T.Type = T.self) throws -> (values: [T], shape: [Int]) {
        let d = H5Dopen2(file, object, HDF5Library.defaultPlist)
        guard d >= 0 else { throw missing(object, "no such dataset") }
        defer { H5Dclose(d) }
        let shape = try dims(H5Dget_space(d), object)
        var out = [T](repeating: T.zero, count: shape.reduce(1, *))
        if !out.isEmpty {
            let rc = out.withUnsafeMutableBytes { H5Dread(d, T.hdf5Type, HDF5Library.all, HDF5Library.all, HDF5Library.defaultPlist, $0.baseAddress) }
            guard rc >= 0 else { throw missing(object, "cannot be read as \(T.self)") }
        }
        return (out, shape)
    }

    /// A 1-D dataset of variable-length strings.
    public func readStrings(_ object: String) throws -> [String] {
        let d = H5Dopen2(file, object, HDF5Library.defaultPlist)
        guard d >= 0 else { throw missing(object, "no such dataset") }
        defer { H5Dclose(d) }
        let space = H5Dget_space(d)
        let n = try dims(H5Dget_space(d), object).reduce(1, *)
        defer { H5Sclose(space) }
        let type = HDF5Library.utf8StringType()
        defer { H5Tclose(type) }
        var ptrs = [UnsafeMutablePointer<CChar>?](repeating: nil, count: n)
        guard n > 0 else { return [] }
        let rc = ptrs.withUnsafeMutableBytes { H5Dread(d, type, HDF5Library.all, HDF5Library.all, HDF5Library.defaultPlist, $0.baseAddress) }
        guard rc >= 0 else { throw missing(object, "not a string dataset") }
        let strings = ptrs.map { $0.map { String(cString: $0) } ?? "" }
        _ = ptrs.withUnsafeMutableBytes { H5Dvlen_reclaim(type, space, HDF5Library.defaultPlist, $0.baseAddress) }
        return strings
    }

    /// Names of the attributes of `object`.
    public func attributeNames(of object: String) throws -> [String] {
        let o = H5Oopen(file, object, HDF5Library.defaultPlist)
        guard o >= 0 else { throw missing(object, "no such object") }
        defer { H5Oclose(o) }
        var names: [String] = []
        var i: hsize_t = 0
        while true {
            let n = H5Aget_name_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, i, nil, 0, HDF5Library.defaultPlist)
            if n < 0 { break }
            var buf = [CChar](repeating: 0, count: n + 1)
            _ = H5Aget_name_by_idx(o, ".", H5_INDEX_NAME, H5_ITER_INC, i, &buf, n + 1, HDF5Library.defaultPlist)
            names.append(String(cString: buf))
            i += 1
        }
        return names
    }

    /// Attribute `name` of `object`: strings as `.string`, floats as `.double`/`.doubles`, integers as
    /// `.int`/`.ints` (scalar when the attribute's dataspace is scalar).
    public func attribute(_ name: String, of object: String = "/") throws -> HDF5Value {
        let o = H5Oopen(file, object, HDF5Library.defaultPlist)
        guard o >= 0 else { throw missing(object, "no such object") }
        defer { H5Oclose(o) }
        guard H5Aexists(o, name) > 0 else { throw missing("\(object)@\(name)", "no such attribute") }
        let a = H5Aopen(o, name, HDF5Library.defaultPlist)
        guard a >= 0 else { throw missing("\(object)@\(name)", "cannot open") }
        defer { H5Aclose(a) }
        let ftype = H5Aget_type(a)
        defer { H5Tclose(ftype) }
        let space = H5Aget_space(a)
        defer { H5Sclose(space) }
        let scalar = H5Sget_simple_extent_type(space) == H5S_SCALAR
        let n = Int(H5Sget_simple_extent_npoints(space))
        switch H5Tget_class(ftype) {
        case H5T_STRING:
            let type = HDF5Library.utf8StringType()
            defer { H5Tclose(type) }
            var p: UnsafeMutablePointer<CChar>? = nil
            guard withUnsafeMutableBytes(of: &p, { H5Aread(a, type, $0.baseAddress) }) >= 0 else {
                throw missing("\(object)@\(name)", "not a variable-length string")
            }
            let s = p.map { String(cString: $0) } ?? ""
            _ = withUnsafeMutableBytes(of: &p) { H5Dvlen_reclaim(type, space, HDF5Library.defaultPlist, $0.baseAddress) }
            return .string(s)
        case H5T_FLOAT:
            var v = [Double](repeating: 0, count: n)
            _ = v.withUnsafeMutableBytes { H5Aread(a, HDF5Library.double, $0.baseAddress) }
            return scalar ? .double(v[0]) : .doubles(v)
        case H5T_INTEGER:
            var v = [Int64](repeating: 0, count: n)
            _ = v.withUnsafeMutableBytes { H5Aread(a, HDF5Library.int64, $0.baseAddress) }
            return scalar ? .int(v[0]) : .ints(v)
        default:
            throw missing("\(object)@\(name)", "unsupported attribute type")
        }
    }

    private func dims(_ space: hid_t, _ object: String) throws -> [Int] {
        guard space >= 0 else { throw missing(object, "no dataspace") }
        defer { H5Sclose(space) }
        let rank = H5Sget_simple_extent_ndims(space)
        guard rank >= 0 else { throw missing(object, "bad dataspace") }
        if rank == 0 { return [] }
        var d = [hsize_t](repeating: 0, count: Int(rank))
        _ = H5Sget_simple_extent_dims(space, &d, nil)
        return d.map { Int($0) }
    }

    private func missing(_ object: String, _ reason: String) -> LayerStatsError {
        .notFound(file: path, object: object, reason: reason)
    }
}
