import Foundation
import XCTest
import Checkpoints

/// Runs `body`, which must throw a `CheckpointError` whose description contains every fragment.
@discardableResult
func assertCheckpointError<T>(_ fragments: [String], file: StaticString = #filePath, line: UInt = #line,
                              _ body: () throws -> T) -> CheckpointError? {
    do {
        _ = try body()
        XCTFail("expected a CheckpointError containing \(fragments)", file: file, line: line)
        return nil
    } catch let error as CheckpointError {
        for fragment in fragments where !error.description.contains(fragment) {
            XCTFail("error \"\(error.description)\" does not mention \"\(fragment)\"", file: file, line: line)
        }
        return error
    } catch {
        XCTFail("expected a CheckpointError, got \(type(of: error)): \(error)", file: file, line: line)
        return nil
    }
}

/// Bytes of a safetensors file with the given header text and data section.
func safetensorsBytes(header: String, data: Data = Data(), declaredLength: UInt64? = nil) -> Data {
    let json = Data(header.utf8)
    var out = Data()
    withUnsafeBytes(of: (declaredLength ?? UInt64(json.count)).littleEndian) { out.append(contentsOf: $0) }
    out.append(json)
    out.append(data)
    return out
}

/// Little-endian bytes of Float values.
func floatBytes(_ values: [Float]) -> Data {
    var out = Data()
    for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
    return out
}

/// Builds a ZIP archive with stored (uncompressed) members, like `torch.save` does.
struct ZipBuilder {
    private(set) var members: [(name: String, data: Data)] = []

    mutating func add(_ name: String, _ data: Data) { members.append((name, data)) }
    mutating func add(_ name: String, _ bytes: [UInt8]) { members.append((name, Data(bytes))) }

    func build() -> Data {
        var out = Data()
        var central = Data()
        func u16(_ v: Int, _ d: inout Data) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
        func u32(_ v: UInt32, _ d: inout Data) { withUnsafeBytes(of: v.littleEndian) { d.append(contentsOf: $0) } }
        for (name, data) in members {
            let offset = UInt32(out.count)
            let crc = crc32(data)
            let nameBytes = Data(name.utf8)
            u32(0x0403_4B50, &out); u16(20, &out); u16(0, &out); u16(0, &out)
            u16(0, &out); u16(0x21, &out)
            u32(crc, &out); u32(UInt32(data.count), &out); u32(UInt32(data.count), &out)
            u16(nameBytes.count, &out); u16(0, &out)
            out.append(nameBytes); out.append(data)

            u32(0x0201_4B50, &central); u16(0x031E, &central); u16(20, &central); u16(0, &central); u16(0, &central)
            u16(0, &central); u16(0x21, &central)
            u32(crc, &central); u32(UInt32(data.count), &central); u32(UInt32(data.count), &central)
            u16(nameBytes.count, &central); u16(0, &central); u16(0, &central); u16(0, &central); u16(0, &central)
            u32(UInt32(0o100644) << 16, &central); u32(offset, &central)
            central.append(nameBytes)
        }
        let centralOffset = UInt32(out.count)
        out.append(central)
        u32(0x0605_4B50, &out); u16(0, &out); u16(0, &out)
        u16(members.count, &out); u16(members.count, &out)
        u32(UInt32(central.count), &out); u32(centralOffset, &out); u16(0, &out)
        return out
    }

    private func crc32(_ data: Data) -> UInt32 {
        var table = [UInt32](repeating: 0, count: 256)
        for i in 0..<256 {
            var c = UInt32(i)
            for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
            table[i] = c
        }
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return crc ^ 0xFFFF_FFFF
    }
}

/// Emits pickle opcodes the way `torch.save(state_dict)` does (protocol 2).
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 0x02]

    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func raw(_ more: [UInt8]) { bytes.append(contentsOf: more) }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        op(0x58)  // BINUNICODE
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    mutating func int(_ i: Int) {
        if (0..<256).contains(i) {
            raw([0x4B, UInt8(i)])  // BININT1
        } else if (0..<65536).contains(i) {
            raw([0x4D, UInt8(i & 0xFF), UInt8(i >> 8)])  // BININT2
        } else {
            op(0x4A)  // BININT
            withUnsafeBytes(of: Int32(i).littleEndian) { bytes.append(contentsOf: $0) }
        }
    }

    mutating func global(_ module: String, _ name: String) {
        op(0x63)  // GLOBAL
        raw(Array("\(module)\n\(name)\n".utf8))
    }

    mutating func intTuple(_ values: [Int]) {
        op(0x28)  // MARK
        for v in values { int(v) }
        op(0x74)  // TUPLE
    }

    /// `_rebuild_tensor_v2(persistent_load(('storage', type, key, 'cpu', numel)), offset, size, stride, False, OrderedDict())`
    mutating func tensor(storageType: String, key: String, numel: Int, offset: Int, size: [Int], stride: [Int]) {
        global("torch._utils", "_rebuild_tensor_v2")
        op(0x28)  // MARK: args
        op(0x28)  // MARK: persistent id
        string("storage"); global("torch", storageType); string(key); string("cpu"); int(numel)
        op(0x74)  // TUPLE
        op(0x51)  // BINPERSID
        int(offset); intTuple(size); intTuple(stride)
        op(0x89)  // NEWFALSE
        global("collections", "OrderedDict"); op(0x29); op(0x52)  // OrderedDict()
        op(0x74)  // TUPLE
        op(0x52)  // REDUCE
    }

    /// A whole state dict: `OrderedDict` filled with SETITEMS, then STOP.
    static func stateDict(_ entries: [(name: String, write: (inout PickleWriter) -> Void)]) -> [UInt8] {
        var w = PickleWriter()
        w.global("collections", "OrderedDict"); w.op(0x29); w.op(0x52)
        w.op(0x28)
        for entry in entries {
            w.string(entry.name)
            entry.write(&w)
        }
        w.op(0x75)  // SETITEMS
        w.op(0x2E)  // STOP
        return w.bytes
    }
}

/// A PyTorch-style archive: `archive/data.pkl`, `archive/byteorder`, `archive/data/<key>`.
func torchArchive(pickle: [UInt8], storages: [String: Data], byteorder: String? = "little",
                  prefix: String = "archive") -> Data {
    var zip = ZipBuilder()
    zip.add("\(prefix)/data.pkl", pickle)
    if let byteorder { zip.add("\(prefix)/byteorder", Data(byteorder.utf8)) }
    for key in storages.keys.sorted() { zip.add("\(prefix)/data/\(key)", storages[key]!) }
    zip.add("\(prefix)/version", Data("3\n".utf8))
    return zip.build()
}
