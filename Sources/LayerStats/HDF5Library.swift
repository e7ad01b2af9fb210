import CHDF5

/// libhdf5 globals that the C headers expose only through macros Swift cannot import
/// (`H5T_NATIVE_DOUBLE` is `(H5open(), H5T_NATIVE_DOUBLE_g)`): `H5open()` runs first, then the `_g` globals
/// are read. Also turns off libhdf5's automatic error printing; failures become `LayerStatsError.hdf5`.
enum HDF5Library {
    /// Initializes the library once (thread-safe lazy static).
    static let initialized: Bool = {
        _ = H5open()
        _ = H5Eset_auto2(0 /* H5E_DEFAULT */, nil, nil)
        return true
    }()

    /// `H5P_DEFAULT`, `H5S_ALL`.
    static let defaultPlist: hid_t = 0
    static let all: hid_t = 0
    /// `H5F_ACC_TRUNC`, `H5F_ACC_RDONLY` (H5Fpublic.h).
    static let truncate: UInt32 = 0x0002
    static let readOnly: UInt32 = 0x0000

    static var fileAccess: hid_t { _ = initialized; return H5P_CLS_FILE_ACCESS_ID_g }
    static var groupCreate: hid_t { _ = initialized; return H5P_CLS_GROUP_CREATE_ID_g }
    static var datasetCreate: hid_t { _ = initialized; return H5P_CLS_DATASET_CREATE_ID_g }
    static var double: hid_t { _ = initialized; return H5T_NATIVE_DOUBLE_g }
    static var float: hid_t { _ = initialized; return H5T_NATIVE_FLOAT_g }
    static var int64: hid_t { _ = initialized; return H5T_NATIVE_INT64_g }
    static var int32: hid_t { _ = initialized; return H5T_NATIVE_INT32_g }
    static var int8: hid_t { _ = initialized; return H5T_NATIVE_INT8_g }
    static var uint64: hid_t { _ = initialized; return H5T_NATIVE_UINT64_g }
    static var cString: hid_t { _ = initialized; return H5T_C_S1_g }

    /// A new variable-length UTF-8 string type (caller closes it): what h5py reads as `str`.
    static func utf8StringType() -> hid_t {
        let t = H5Tcopy(cString)
        _ = H5Tset_size(t, -1)   // H5T_VARIABLE = (size_t)-1
        _ = H5Tset_cset(t, H5T_CSET_UTF8)
        return t
    }
}

/// Element types the writer and reader move between Swift arrays and HDF5 datasets.
public protocol HDF5Element {
    /// The native HDF5 type id of `Self` (`hid_t`).
    static var hdf5Type: Int64 { get }
    /// A zero value (buffer initialisation for reads).
    static var zero: Self { get }
}

extension Double: HDF5Element {
    public static var hdf5Type: Int64 { HDF5Library.double }
    public static var zero: Double { 0 }
}
extension Float: HDF5Element {
    public static var hdf5Type: Int64 { HDF5Library.float }
    public static var zero: Float { 0 }
}
extension Int64: HDF5Element {
    public static var hdf5Type: Int64 { HDF5Library.int64 }
    public static var zero: Int64 { 0 }
}
extension Int32: HDF5Element {
    public static var hdf5Type: Int64 { HDF5Library.int32 }
    public static var zero: Int32 { 0 }
}
extension Int8: HDF5Element {
    public static var hdf5Type: Int64 { HDF5Library.int8 }
    public static var zero: Int8 { 0 }
}
extension UInt64: HDF5Element {
    public static var hdf5Type: Int64 { HDF5Library.uint64 }
    public static var zero: UInt64 { 0 }
}
