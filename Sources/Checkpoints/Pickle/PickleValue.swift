import Foundation

/// A Python object rebuilt by `Unpickler`: only the kinds `torch.save(state_dict)` produces.
///
/// Lists and dicts are reference types because pickle's memo shares them: an object stored
/// with `BINPUT` and fetched with `BINGET` must be the same object that later `APPENDS` or
/// `SETITEMS` modify.
///
/// Every container records its nesting depth, which `Unpickler` caps at `maximumDepth`, so a
/// hostile pickle cannot build a structure deep enough to overflow the stack when released.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case string(String)
    case bytes(Data)
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    /// A reference to a Python global (`module.name`), as pushed by `GLOBAL`/`STACK_GLOBAL`.
    case global(module: String, name: String)
    /// A storage returned by persistent load (`BINPERSID`).
    case storage(TorchStorageRef)
    /// A tensor returned by `torch._utils._rebuild_tensor_v2` and friends.
    case tensor(TorchTensorRef)

    /// Deepest nesting allowed; a state dict needs 4 (dict → args tuple → size tuple → int).
    static let maximumDepth = 64

    /// Levels of containers in this value: 0 for scalars, 1 for a flat container.
    var depth: Int {
        switch self {
        case let .tuple(_, depth): return depth
        case let .list(list): return list.depth
        case let .dict(dict): return dict.depth
        case .storage, .tensor: return 1
        case .none, .bool, .int, .float, .string, .bytes, .global: return 0
        }
    }

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
    /// 1 + the deepest item's depth.
    var depth = 1
    /// Set once the list is placed inside another container; it must not change after that,
    /// so recorded depths stay true and no cycle can form.
    var sealed = false
    init(_ items: [PickleValue] = []) { self.items = items }
}

/// A mutable Python dict (or `OrderedDict`), keeping insertion order; a repeated key replaces
/// the earlier value in place, as in Python.
final class PickleDict {
    /// 1 + the deepest key's or value's depth.
    var depth = 1
    /// Set once the dict is placed inside another container (see `PickleList.sealed`).
    var sealed = false
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
