import Foundation

/// A failure raised by an `Unpickler` hook; the unpickler adds the file and offset.
enum PickleHookFailure: Error {
    /// The callable `module.name` is not one the hook supports.
    case unsupportedGlobal(String)
    /// The arguments do not have the expected form.
    case malformed(String)
}

/// A small, non-executing pickle reader for the opcodes `torch.save(state_dict)` emits
/// (protocol 2, plus the protocol 3–5 opcodes that carry the same data).
///
/// It mirrors CPython's `pickle._Unpickler` (<https://github.com/python/cpython/blob/main/Lib/pickle.py>,
/// opcode reference in `Lib/pickletools.py`) but never imports or calls anything: `GLOBAL`
/// only names a callable; `REDUCE` hands the name and arguments to `callGlobal`, and
/// `BINPERSID` hands the persistent id to `persistentLoad`. Any other opcode, a truncated
/// argument or an inconsistent stack throws `CheckpointError` with the byte offset.
struct Unpickler {
    /// Rebuilds a value from `callable(*args)`; throws `PickleHookFailure` for unknown callables.
    typealias CallGlobal = (_ module: String, _ name: String, _ args: [PickleValue]) throws -> PickleValue
    /// Resolves a persistent id (the object popped by `BINPERSID`).
    typealias PersistentLoad = (_ pid: PickleValue) throws -> PickleValue

    /// Most values the stack (with its marks) or the memo may hold. Each opcode adds at most one, so a genuine
    /// state dict stays far below (a BERT-base checkpoint peaks at a few thousand); a file of repeated DUP, MARK or
    /// PUT opcodes is refused here rather than grown until memory runs out.
    static let maximumItems = 1 << 20

    let bytes: [UInt8]
    /// The checkpoint file, named in errors.
    let file: String
    var callGlobal: CallGlobal
    var persistentLoad: PersistentLoad

    private var position = 0
    private var opcodeOffset = 0
    private var stack: [PickleValue] = []
    private var marks: [Int] = []
    private var memo: [Int: PickleValue] = [:]

    init(bytes: [UInt8], file: String, callGlobal: @escaping CallGlobal, persistentLoad: @escaping PersistentLoad) {
        self.bytes = bytes
        self.file = file
        self.callGlobal = callGlobal
        self.persistentLoad = persistentLoad
    }

    /// Runs the pickle to `STOP` and returns the object it built.
    mutating func load() throws -> PickleValue {
        while true {
            opcodeOffset = position
            let op = try readByte()
            switch op {
            case 0x80: // PROTO
                let version = try readByte()
                guard version <= 5 else { throw malformed("unsupported pickle protocol \(version)") }
            case 0x95: // FRAME: an 8-byte length hint, nothing to do when reading from memory
                _ = try read(8)
            case 0x2E: // STOP
                let result = try pop()
                guard stack.isEmpty, marks.isEmpty else { throw malformed("STOP with \(stack.count) values left on the stack") }
                return result
            case 0x28: // MARK
                marks.append(stack.count)
            case 0x30: // POP
                _ = try pop()
            case 0x31: // POP_MARK
                _ = try popMark()
            case 0x32: // DUP
                guard let top = stack.last else { throw malformed("DUP on an empty stack") }
                stack.append(top)

            case 0x4E: stack.append(.none) // NONE
            case 0x88: stack.append(.bool(true)) // NEWTRUE
            case 0x89: stack.append(.bool(false)) // NEWFALSE
            case 0x4A: // BININT: 4-byte signed little-endian
                stack.append(.int(Int(Int32(bitPattern: UInt32(try readLittleEndian(4))))))
            case 0x4B: // BININT1
                stack.append(.int(Int(try readByte())))
            case 0x4D: // BININT2
                stack.append(.int(Int(try readLittleEndian(2))))
            case 0x8A: // LONG1: n-byte little-endian two's complement
                let n = Int(try readByte())
                stack.append(.int(try readLong(n)))
            case 0x8B: // LONG4
                let n = Int(try readLittleEndian(4))
                stack.append(.int(try readLong(n)))
            case 0x47: // BINFLOAT: 8-byte big-endian IEEE double
                let raw = try read(8)
                stack.append(.float(Double(bitPattern: raw.reduce(0) { $0 << 8 | UInt64($1) })))

            case 0x58: // BINUNICODE
                stack.append(.string(try readUTF8(count: Int(try readLittleEndian(4)))))
            case 0x8C: // SHORT_BINUNICODE
                stack.append(.string(try readUTF8(count: Int(try readByte()))))
            case 0x8D: // BINUNICODE8
                stack.append(.string(try readUTF8(count: try readLength8())))
            case 0x54: // BINSTRING (Python 2 str)
                stack.append(.string(try readLatin1(count: Int(Int32(bitPattern: UInt32(try readLittleEndian(4)))))))
            case 0x55: // SHORT_BINSTRING
                stack.append(.string(try readLatin1(count: Int(try readByte()))))
            case 0x42: // BINBYTES
                stack.append(.bytes(Data(try read(Int(try readLittleEndian(4))))))
            case 0x43: // SHORT_BINBYTES
                stack.append(.bytes(Data(try read(Int(try readByte())))))
            case 0x8E: // BINBYTES8
                stack.append(.bytes(Data(try read(try readLength8()))))

            case 0x29: stack.append(.tuple([], depth: 1)) // EMPTY_TUPLE
            case 0x74: // TUPLE
                let items = try popMark()
                stack.append(.tuple(items, depth: try nest(items)))
            case 0x85, 0x86, 0x87: // TUPLE1, TUPLE2, TUPLE3
                let n = Int(op - 0x84)
                guard stack.count - (marks.last ?? 0) >= n else { throw malformed("TUPLE\(n) needs \(n) values") }
                let items = Array(stack.suffix(n))
                stack.removeLast(n)
                stack.append(.tuple(items, depth: try nest(items)))
            case 0x5D: stack.append(.list(PickleList())) // EMPTY_LIST
            case 0x6C: // LIST
                let items = try popMark()
                let list = PickleList(items)
                list.depth = try nest(items)
                stack.append(.list(list))
            case 0x61: // APPEND
                let value = try pop()
                try append([value], to: try topList("APPEND"))
            case 0x65: // APPENDS
                let values = try popMark()
                try append(values, to: try topList("APPENDS"))
            case 0x7D: stack.append(.dict(PickleDict())) // EMPTY_DICT
            case 0x64: // DICT
                let dict = PickleDict()
                try setItems(dict, try popMark())
                stack.append(.dict(dict))
            case 0x73: // SETITEM
                let value = try pop()
                let key = try pop()
                try setItems(try topDict("SETITEM"), [key, value])
            case 0x75: // SETITEMS
                let items = try popMark()
                try setItems(try topDict("SETITEMS"), items)

            case 0x71: // BINPUT
                memo[Int(try readByte())] = try top()
            case 0x72: // LONG_BINPUT
                memo[Int(try readLittleEndian(4))] = try top()
            case 0x94: // MEMOIZE
                memo[memo.count] = try top()
            case 0x68: // BINGET
                stack.append(try memoValue(Int(try readByte())))
            case 0x6A: // LONG_BINGET
                stack.append(try memoValue(Int(try readLittleEndian(4))))

            case 0x63: // GLOBAL: "module\nname\n"
                let module = try readLine()
                let name = try readLine()
                stack.append(.global(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                let name = try pop()
                let module = try pop()
                guard case let .string(m) = module, case let .string(n) = name else {
                    throw malformed("STACK_GLOBAL needs two strings, got \(module.kind) and \(name.kind)")
                }
                stack.append(.global(module: m, name: n))
            case 0x52: // REDUCE: callable, args tuple
                let args = try pop()
                let callable = try pop()
                guard case let .global(module, name) = callable else {
                    throw malformed("REDUCE on a \(callable.kind), not a global")
                }
                guard case let .tuple(items, _) = args else {
                    throw malformed("REDUCE arguments are a \(args.kind), not a tuple")
                }
                stack.append(try call(module, name, items))
            case 0x62: // BUILD: set state on the object below; state dicts carry only
                       // `_metadata` (module versions), which is not needed to read tensors.
                _ = try pop()
                _ = try top()
            case 0x51: // BINPERSID
                let pid = try pop()
                do {
                    stack.append(try persistentLoad(pid))
                } catch let failure as PickleHookFailure {
                    throw convert(failure)
                }
            default:
                throw CheckpointError.unsupportedPickleOpcode(file: file, opcode: op, offset: opcodeOffset)
            }
            guard stack.count + marks.count <= Self.maximumItems else {
                throw malformed("stack grows past \(Self.maximumItems) values (repeated DUP/MARK or similar)")
            }
            guard memo.count <= Self.maximumItems else {
                throw malformed("memo grows past \(Self.maximumItems) entries")
            }
        }
    }

    // MARK: - Stack

    private func malformed(_ reason: String) -> CheckpointError {
        CheckpointError.malformedPickle(file: file, offset: opcodeOffset, reason: reason)
    }

    private func convert(_ failure: PickleHookFailure) -> CheckpointError {
        switch failure {
        case let .unsupportedGlobal(name):
            return CheckpointError.unsupportedPickleGlobal(file: file, global: name, offset: opcodeOffset)
        case let .malformed(reason):
            return malformed(reason)
        }
    }

    private func call(_ module: String, _ name: String, _ args: [PickleValue]) throws -> PickleValue {
        do {
            return try callGlobal(module, name, args)
        } catch let failure as PickleHookFailure {
            throw convert(failure)
        }
    }

    private mutating func pop() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.popLast() else {
            throw malformed("stack underflow")
        }
        return value
    }

    private func top() throws -> PickleValue {
        guard stack.count > (marks.last ?? 0), let value = stack.last else {
            throw malformed("stack underflow")
        }
        return value
    }

    /// Pops everything above the most recent MARK, and the mark.
    private mutating func popMark() throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw malformed("no MARK on the stack") }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    private func topList(_ opcode: String) throws -> PickleList {
        let value = try top()
        guard case let .list(list) = value else { throw malformed("\(opcode) on a \(value.kind), not a list") }
        return list
    }

    private func topDict(_ opcode: String) throws -> PickleDict {
        let value = try top()
        guard case let .dict(dict) = value else { throw malformed("\(opcode) on a \(value.kind), not a dict") }
        return dict
    }

    private func setItems(_ dict: PickleDict, _ items: [PickleValue]) throws {
        guard items.count % 2 == 0 else { throw malformed("odd number of values for dict items") }
        let depth = try nest(items)  // first, so that inserting a dict into itself seals it
        guard !dict.sealed else { throw malformed("dict modified after being nested (cycles are not supported)") }
        dict.depth = max(dict.depth, depth)
        for i in stride(from: 0, to: items.count, by: 2) { dict.set(items[i], items[i + 1]) }
    }

    private func append(_ values: [PickleValue], to list: PickleList) throws {
        let depth = try nest(values)  // first, so that appending a list to itself seals it
        guard !list.sealed else { throw malformed("list modified after being nested (cycles are not supported)") }
        list.depth = max(list.depth, depth)
        list.items.append(contentsOf: values)
    }

    /// Seals `children` as they go into a container and returns the container's depth.
    private func nest(_ children: [PickleValue]) throws -> Int {
        var deepest = 0
        for child in children {
            switch child {
            case let .list(list): list.sealed = true
            case let .dict(dict): dict.sealed = true
            default: break
            }
            deepest = max(deepest, child.depth)
        }
        guard deepest < PickleValue.maximumDepth else {
            throw malformed("containers nested deeper than \(PickleValue.maximumDepth) levels")
        }
        return deepest + 1
    }

    private func memoValue(_ index: Int) throws -> PickleValue {
        guard let value = memo[index] else { throw malformed("memo index \(index) was never stored") }
        return value
    }

    // MARK: - Reading arguments

    private mutating func readByte() throws -> UInt8 {
        guard position < bytes.count else {
            throw CheckpointError.malformedPickle(file: file, offset: position,
                                                  reason: "pickle ends before STOP (truncated)")
        }
        defer { position += 1 }
        return bytes[position]
    }

    private mutating func read(_ count: Int) throws -> ArraySlice<UInt8> {
        guard count >= 0, count <= bytes.count - position else {
            throw malformed("argument of \(count) bytes runs past the end of the pickle (truncated)")
        }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private mutating func readLittleEndian(_ count: Int) throws -> UInt64 {
        try read(count).reversed().reduce(0) { $0 << 8 | UInt64($1) }
    }

    private mutating func readLength8() throws -> Int {
        let n = try readLittleEndian(8)
        guard n <= UInt64(bytes.count) else { throw malformed("length \(n) runs past the end of the pickle") }
        return Int(n)
    }

    /// A little-endian two's-complement integer of `count` bytes (LONG1/LONG4) that fits in `Int`.
    private mutating func readLong(_ count: Int) throws -> Int {
        guard count <= 8 else { throw malformed("integer of \(count) bytes does not fit in 64 bits") }
        let raw = try read(count)
        guard count > 0 else { return 0 }
        var value = raw.reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        if count < 8, raw.last! & 0x80 != 0 { value |= ~UInt64(0) << UInt64(8 * count) }
        return Int(Int64(bitPattern: value))
    }

    private mutating func readUTF8(count: Int) throws -> String {
        let raw = try read(count)
        guard let string = String(bytes: raw, encoding: .utf8) else { throw malformed("string is not valid UTF-8") }
        return string
    }

    private mutating func readLatin1(count: Int) throws -> String {
        String(decoding: try read(count).map { UInt16($0) }, as: UTF16.self)
    }

    private mutating func readLine() throws -> String {
        guard let end = bytes[position...].firstIndex(of: 0x0A) else {
            throw malformed("GLOBAL argument has no terminating newline")
        }
        let raw = bytes[position..<end]
        position = end + 1
        guard let line = String(bytes: raw, encoding: .utf8) else { throw malformed("GLOBAL name is not valid UTF-8") }
        return line
    }
}
