import Foundation

/// A Python object rebuilt by `Unpickler`: only the kinds `torch.save(state_dict)` produces.
///
/// Lists and dicts are reference types because pickle's memo shares them: an object stored
/// with `BINPUT` and fetched with `BINGET` must be the same object that later `APPENDS` or
/// `SETITEMS` modify.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple([PickleValue])
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to a Python global (`module.name`), as pushed by `GLOBAL`/`STACK_GLOBAL`.
    case global(module: String, name: String)
    /// A storage returned by persistent load (`BINPERSID`).
    case storage(TorchStorageRef)
    /// A tensor returned by `torch._utils._rebuild_tensor_v2` and friends.
    case tensor(TorchTensorRef)

    /// A short name of the kind of value, for error messages.
    var kind: String {
        switch self {
        case .none: return "None"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .string: return "str"
        case .bytes: return "bytes"
        case .tuple: return "tuple"
        case .list: return "list"
        case .dict: return "dict"
        case let .global(module, name): return "global \(module).\(name)"
        case .storage: return "storage"
        case .tensor: return "tensor"
        }
    }
}

/// A mutable Python list.
final class PickleList {
    var items: [PickleValue]
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable Python dict (or `OrderedDict`), keeping insertion order; a repeated key replaces
/// the earlier value in place, as in Python.
final class PickleDict {
    private(set) var entries: [(key: PickleValue, value: PickleValue)] = []
    private var stringIndex: [String: Int] = [:]

    func set(_ key: PickleValue, _ value: PickleValue) {
        if case let .string(s) = key {
            if let i = stringIndex[s] {
                entries[i].value = value
                return
            }
            stringIndex[s] = entries.count
        }
        entries.append((key, value))
    }
}

/// A PyTorch storage named by a persistent id `('storage', type, key, location, numel)`.
struct TorchStorageRef {
    /// The archive member `data/<key>` holding the bytes.
    var key: String
    /// Element type; `nil` for an untyped (byte) storage whose element type is unknown.
    var dtype: DType?
    /// `numel` from the persistent id (elements, or bytes for an untyped storage).
    var elementCount: Int
    /// Device the storage was saved from, e.g. `"cpu"`; informational.
    var location: String
}

/// A tensor view of a storage, as passed to `torch._utils._rebuild_tensor_v2`.
struct TorchTensorRef {
    var storage: TorchStorageRef
    var storageOffset: Int
    var size: [Int]
    var stride: [Int]
}
