/// The few Python callables and persistent ids that `torch.save(state_dict)` pickles, rebuilt
/// as plain values (see `torch/serialization.py` `_load` and `torch/_utils.py`).
enum TorchPickleHooks {
    /// Element type of a legacy typed storage class (`torch.FloatStorage`, …) or of a dtype
    /// global (`torch.float32`, …). `nil` if unknown.
    static func dtype(module: String, name: String) -> DType? {
        guard module == "torch" else { return nil }
        switch name {
        case "FloatStorage", "float32", "float": return .f32
        case "HalfStorage", "float16", "half": return .f16
        case "BFloat16Storage", "bfloat16": return .bf16
        case "DoubleStorage", "float64", "double": return .f64
        case "LongStorage", "int64", "long": return .i64
        case "IntStorage", "int32", "int": return .i32
        case "ShortStorage", "int16", "short": return .i16
        case "CharStorage", "int8": return .i8
        case "ByteStorage", "uint8": return .u8
        case "BoolStorage", "bool": return .bool
        case "Float8_e4m3fnStorage", "float8_e4m3fn": return .f8E4M3
        case "Float8_e5m2Storage", "float8_e5m2": return .f8E5M2
        case "UInt16Storage", "uint16": return .u16
        case "UInt32Storage", "uint32": return .u32
        case "UInt64Storage", "uint64": return .u64
        default: return nil
        }
    }

    /// Whether `module.name` is the untyped (byte) storage class.
    static func isUntypedStorage(module: String, name: String) -> Bool {
        name == "UntypedStorage" && (module == "torch" || module == "torch.storage")
    }

    /// `persistent_load` for `('storage', storage_type, key, location, numel)`.
    static func persistentLoad(_ pid: PickleValue) throws -> PickleValue {
        guard case let .tuple(items, _) = pid, items.count == 5, case .string("storage") = items[0] else {
            throw PickleHookFailure.malformed("persistent id is not ('storage', type, key, location, numel)")
        }
        guard case let .global(module, name) = items[1] else {
            throw PickleHookFailure.malformed("storage type is a \(items[1].kind), not a class")
        }
        let dtype = Self.dtype(module: module, name: name)
        guard dtype != nil || isUntypedStorage(module: module, name: name) else {
            throw PickleHookFailure.unsupportedGlobal("\(module).\(name) (storage type)")
        }
        let key: String
        switch items[2] {
        case let .string(s): key = s
        case let .int(i): key = String(i)
        default: throw PickleHookFailure.malformed("storage key is a \(items[2].kind)")
        }
        guard !key.isEmpty, !key.contains("/"), key != "..", key != "." else {
            throw PickleHookFailure.malformed("storage key '\(key)' is not a plain name")
        }
        guard case let .string(location) = items[3] else {
            throw PickleHookFailure.malformed("storage location is a \(items[3].kind)")
        }
        guard case let .int(numel) = items[4], numel >= 0 else {
            throw PickleHookFailure.malformed("storage numel is not a non-negative int")
        }
        return .storage(TorchStorageRef(key: key, dtype: dtype, elementCount: numel, location: location))
    }

    /// `REDUCE` of the callables a state dict uses; anything else is refused.
    static func callGlobal(module: String, name: String, args: [PickleValue]) throws -> PickleValue {
        switch (module, name) {
        case ("collections", "OrderedDict"), ("builtins", "dict"):
            let dict = PickleDict()
            if let first = args.first {
                // OrderedDict(iterable_of_pairs)
                let pairs: [PickleValue]
                switch first {
                case let .list(list): pairs = list.items
                case let .tuple(items, _): pairs = items
                default: throw PickleHookFailure.malformed("\(module).\(name) argument is a \(first.kind)")
                }
                for pair in pairs {
                    guard case let .tuple(kv, _) = pair, kv.count == 2 else {
                        throw PickleHookFailure.malformed("\(module).\(name) item is not a (key, value) pair")
                    }
                    dict.set(kv[0], kv[1])
                }
                dict.depth = first.depth
            }
            return .dict(dict)
        case ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"):
            // (storage, storage_offset, size, stride[, requires_grad, backward_hooks[, metadata]])
            guard args.count >= 4 else {
                throw PickleHookFailure.malformed("\(name) needs at least 4 arguments, got \(args.count)")
            }
            guard case let .storage(storage) = args[0] else {
                throw PickleHookFailure.malformed("\(name) storage argument is a \(args[0].kind)")
            }
            guard case let .int(offset) = args[1] else {
                throw PickleHookFailure.malformed("\(name) storage_offset is a \(args[1].kind)")
            }
            let size = try ints(args[2], "size")
            let stride = try ints(args[3], "stride")
            return .tensor(TorchTensorRef(storage: storage, storageOffset: offset, size: size, stride: stride))
        case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
            // (data, requires_grad, backward_hooks[, state]): a Parameter is its tensor here.
            guard let data = args.first, case .tensor = data else {
                throw PickleHookFailure.malformed("\(name) data argument is not a tensor")
            }
            return data
        default:
            throw PickleHookFailure.unsupportedGlobal("\(module).\(name)")
        }
    }

    private static func ints(_ value: PickleValue, _ what: String) throws -> [Int] {
        guard case let .tuple(items, _) = value else {
            throw PickleHookFailure.malformed("tensor \(what) is a \(value.kind), not a tuple")
        }
        return try items.map {
            guard case let .int(i) = $0 else { throw PickleHookFailure.malformed("tensor \(what) holds a \($0.kind)") }
            return i
        }
    }
}
