import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

/// Synthetic `torch.save` archives built byte by byte: layouts the fixture does not exercise,
/// and every way the archive or the pickle can be broken.
final class PyTorchCheckpointTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir = nil }

    private func open(_ bytes: Data, name: String = "model.bin") throws -> PyTorchCheckpoint {
        try PyTorchCheckpoint(url: try dir.file(name, bytes))
    }

    private let fixture = Fixtures.fixtures.appendingPathComponent("tiny-random-bert-pytorch-bin/pytorch_model.bin")

    // MARK: Layouts

    func testStridedOffsetAndBroadcastViews() throws {
        // Storage holds 0...7. "t" is the transpose of a [2,3] matrix starting at element 1,
        // "row" a contiguous slice at offset 5, "expanded" a stride-0 broadcast.
        let pickle = PickleWriter.stateDict([
            ("t", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 8, offset: 1, size: [3, 2], stride: [1, 3]) }),
            ("row", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 8, offset: 5, size: [3], stride: [1]) }),
            ("expanded", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 8, offset: 2, size: [2, 3], stride: [0, 1]) }),
            ("scalar", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 8, offset: 7, size: [], stride: []) }),
            ("empty", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 8, offset: 0, size: [0, 5], stride: [5, 1]) }),
        ])
        let ckpt = try open(torchArchive(pickle: Array(pickle), storages: ["0": floatBytes((0..<8).map(Float.init))]))
        XCTAssertEqual(ckpt.names, ["empty", "expanded", "row", "scalar", "t"])
        XCTAssertEqual(try ckpt.floatTensor("t"), Tensor(shape: [3, 2], data: [1, 4, 2, 5, 3, 6]))
        XCTAssertEqual(try ckpt.floatTensor("row"), Tensor(shape: [3], data: [5, 6, 7]))
        XCTAssertEqual(try ckpt.floatTensor("expanded"), Tensor(shape: [2, 3], data: [2, 3, 4, 2, 3, 4]))
        XCTAssertEqual(try ckpt.floatTensor("scalar"), Tensor(shape: [], data: [7]))
        XCTAssertEqual(try ckpt.floatTensor("empty"), Tensor(shape: [0, 5], data: []))
    }

    func testHalfBFloatAndLongStorages() throws {
        let pickle = PickleWriter.stateDict([
            ("h", { $0.tensor(storageType: "HalfStorage", key: "h", numel: 2, offset: 0, size: [2], stride: [1]) }),
            ("b", { $0.tensor(storageType: "BFloat16Storage", key: "b", numel: 2, offset: 0, size: [2], stride: [1]) }),
            ("ids", { $0.tensor(storageType: "LongStorage", key: "l", numel: 2, offset: 0, size: [1, 2], stride: [2, 1]) }),
        ])
        var long = Data()
        for v: Int64 in [-1, 511] { withUnsafeBytes(of: v.littleEndian) { long.append(contentsOf: $0) } }
        let ckpt = try open(torchArchive(pickle: pickle, storages: [
            "h": Data([0x00, 0x3C, 0x00, 0xC0]), "b": Data([0x80, 0x3F, 0x49, 0x40]), "l": long,
        ]))
        XCTAssertEqual(try ckpt.floatTensor("h").data, [1, -2])
        XCTAssertEqual(try ckpt.floatTensor("b").data, [1, 3.140625])
        XCTAssertEqual(try ckpt.floatTensor("ids"), Tensor(shape: [1, 2], data: [-1, 511]))
        XCTAssertEqual(try ckpt.dtype(of: "b"), .bf16)
    }

    func testBigEndianArchive() throws {
        let pickle = PickleWriter.stateDict([
            ("w", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 2, offset: 0, size: [2], stride: [1]) }),
        ])
        var storage = Data()
        for v: Float in [1.5, -3] { withUnsafeBytes(of: v.bitPattern.bigEndian) { storage.append(contentsOf: $0) } }
        let ckpt = try open(torchArchive(pickle: pickle, storages: ["0": storage], byteorder: "big"))
        XCTAssertEqual(try ckpt.floatTensor("w").data, [1.5, -3])
    }

    func testProtocol4OpcodesParametersAndStateMetadata() throws {
        // What newer pickles and `torch.save(model.state_dict())` add: FRAME, SHORT_BINUNICODE,
        // MEMOIZE, STACK_GLOBAL, nn.Parameter wrappers, and BUILD with `_metadata`.
        var w = PickleWriter()
        w.bytes = [0x80, 0x04, 0x95] + [UInt8](repeating: 0, count: 8)
        func short(_ s: String, _ w: inout PickleWriter) { w.raw([0x8C, UInt8(s.utf8.count)] + Array(s.utf8)); w.op(0x94) }
        short("collections", &w); short("OrderedDict", &w); w.op(0x93); w.op(0x29); w.op(0x52); w.op(0x94)
        w.op(0x28)
        short("p", &w)
        w.global("torch._utils", "_rebuild_parameter")
        w.tensor(storageType: "FloatStorage", key: "0", numel: 3, offset: 0, size: [3], stride: [1])
        w.op(0x88)  // requires_grad = True
        w.global("collections", "OrderedDict"); w.op(0x29); w.op(0x52)
        w.op(0x87)  // TUPLE3
        w.op(0x52)
        w.raw([0x4B, 0x01]); w.op(0x85)  // an unrelated tuple, then pop it
        w.op(0x30)
        w.op(0x75)  // SETITEMS
        // BUILD {'_metadata': {'': {'version': 1}}}
        w.op(0x7D); w.op(0x28); short("_metadata", &w)
        w.op(0x7D); w.op(0x28); short("", &w); w.op(0x7D); short("version", &w); w.raw([0x4B, 0x01]); w.op(0x73)
        w.op(0x75); w.op(0x75)
        w.op(0x62)  // BUILD
        w.op(0x2E)
        let ckpt = try open(torchArchive(pickle: w.bytes, storages: ["0": floatBytes([4, 5, 6])], byteorder: nil))
        XCTAssertEqual(ckpt.names, ["p"])
        XCTAssertEqual(try ckpt.floatTensor("p").data, [4, 5, 6])
    }

    // MARK: Broken archives

    func testZipWithoutDataPkl() {
        var zip = ZipBuilder()
        zip.add("archive/version", Data("3\n".utf8))
        zip.add("archive/data/0", floatBytes([1]))
        let error = assertCheckpointError(["nopkl.bin", "data.pkl"]) { try open(zip.build(), name: "nopkl.bin") }
        guard case .missingArchiveEntry = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testUnsupportedOpcodeNamesOpcodeAndOffset() {
        // Protocol-0 INT ('I') right after PROTO 2 + EMPTY_DICT: offset 3.
        let pickle: [UInt8] = [0x80, 0x02, 0x7D] + Array("I42\n".utf8) + [0x2E]
        let error = assertCheckpointError(["op.bin", "data.pkl", "0x49", "'I'", "offset 3"]) {
            try open(torchArchive(pickle: pickle, storages: [:]), name: "op.bin")
        }
        guard case .unsupportedPickleOpcode(_, 0x49, 3) = error else {
            return XCTFail("wrong case: \(String(describing: error))")
        }
    }

    func testArbitraryCallablesAreRefused() {
        var w = PickleWriter()
        w.global("os", "system"); w.op(0x28); w.string("echo pwned"); w.op(0x74); w.op(0x52); w.op(0x2E)
        let error = assertCheckpointError(["evil.bin", "os.system"]) {
            try open(torchArchive(pickle: w.bytes, storages: [:]), name: "evil.bin")
        }
        guard case .unsupportedPickleGlobal = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testMalformedPickles() {
        let cases: [(String, [UInt8], String)] = [
            ("no STOP", [0x80, 0x02, 0x7D], "truncated"),
            ("cut argument", [0x80, 0x02, 0x58, 0xFF, 0x00, 0x00, 0x00, 0x41], "truncated"),
            ("underflow", [0x80, 0x02, 0x73, 0x2E], "underflow"),
            ("bad memo", [0x80, 0x02, 0x68, 0x09, 0x2E], "memo index 9"),
            ("no mark", [0x80, 0x02, 0x74, 0x2E], "MARK"),
            ("future protocol", [0x80, 0x09, 0x2E], "protocol 9"),
            ("unterminated GLOBAL", [0x80, 0x02, 0x63] + Array("torch".utf8), "newline"),
            ("bad persistent id", [0x80, 0x02, 0x4B, 0x01, 0x51, 0x2E], "persistent id"),
        ]
        for (label, pickle, fragment) in cases {
            let error = assertCheckpointError(["bad.bin", fragment]) {
                try open(torchArchive(pickle: pickle, storages: [:]), name: "bad.bin")
            }
            guard case .malformedPickle = error else { return XCTFail("\(label): wrong case: \(String(describing: error))") }
        }
    }

    func testRootMustBeAFlatStateDictOfTensors() {
        assertCheckpointError(["root.bin", "<root>", "list"]) {
            try open(torchArchive(pickle: [0x80, 0x02, 0x5D, 0x2E], storages: [:]), name: "root.bin")
        }
        var w = PickleWriter()
        w.op(0x7D); w.string("epoch"); w.int(3); w.op(0x73); w.op(0x2E)
        assertCheckpointError(["root.bin", "'epoch'", "int"]) {
            try open(torchArchive(pickle: w.bytes, storages: [:]), name: "root.bin")
        }
    }

    func testTensorsMustFitTheirStorage() {
        let missing = PickleWriter.stateDict([
            ("w", { $0.tensor(storageType: "FloatStorage", key: "7", numel: 2, offset: 0, size: [2], stride: [1]) }),
        ])
        assertCheckpointError(["fit.bin", "'w'", "archive/data/7", "missing"]) {
            try open(torchArchive(pickle: missing, storages: [:]), name: "fit.bin")
        }
        let tooFar = PickleWriter.stateDict([
            ("w", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 4, offset: 1, size: [2, 2], stride: [2, 1]) }),
        ])
        assertCheckpointError(["fit.bin", "'w'", "element 4"]) {
            try open(torchArchive(pickle: tooFar, storages: ["0": floatBytes([1, 2, 3, 4])]), name: "fit.bin")
        }
        let shortStorage = PickleWriter.stateDict([
            ("w", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 4, offset: 0, size: [4], stride: [1]) }),
        ])
        assertCheckpointError(["fit.bin", "'w'", "4 F32 elements"]) {
            try open(torchArchive(pickle: shortStorage, storages: ["0": floatBytes([1, 2, 3])]), name: "fit.bin")
        }
        let unknownType = PickleWriter.stateDict([
            ("w", { $0.tensor(storageType: "ComplexFloatStorage", key: "0", numel: 1, offset: 0, size: [1], stride: [1]) }),
        ])
        assertCheckpointError(["fit.bin", "ComplexFloatStorage"]) {
            try open(torchArchive(pickle: unknownType, storages: ["0": floatBytes([1, 2])]), name: "fit.bin")
        }
    }

    func testTruncatedFixture() throws {
        let bytes = try Data(contentsOf: fixture)
        for keep in [bytes.count / 2, bytes.count - 10, 2000, 30, 3] {
            let error = assertCheckpointError(["cut.bin"]) { try open(bytes.prefix(keep), name: "cut.bin") }
            switch error {
            case .corruptArchive?, .fileTooSmall?, .missingArchiveEntry?: break
            default: XCTFail("keep \(keep): unexpected \(String(describing: error))")
            }
        }
    }

    func testCorruptStorageFailsItsChecksum() throws {
        var bytes = try Data(contentsOf: fixture)
        // Flip bytes inside the word-embedding storage member (pytorch_model/data/4: bytes 137 552..393 552 of the file).
        for i in stride(from: 200_000, to: 200_100, by: 7) { bytes[i] ^= 0x5A }
        let ckpt = try open(bytes, name: "corrupt.bin")
        XCTAssertEqual(try ckpt.floatTensor("classifier.bias").count, 2, "other tensors still read")
        let error = assertCheckpointError(["corrupt.bin", "pytorch_model/data/4", "CRC-32"]) {
            try ckpt.floatTensor("bert.embeddings.word_embeddings.weight")
        }
        guard case .corruptArchive = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testCorruptPickleFailsItsChecksum() throws {
        var bytes = try Data(contentsOf: fixture)
        bytes[200] ^= 0xFF  // inside pytorch_model/data.pkl
        assertCheckpointError(["corrupt.bin", "pytorch_model/data.pkl", "CRC-32"]) { try open(bytes, name: "corrupt.bin") }
    }

    func testNotAZipAndLegacyFormat() {
        assertCheckpointError(["text.bin", "not a ZIP"]) { try open(Data("hello world".utf8), name: "text.bin") }
        assertCheckpointError(["legacy.bin", "legacy"]) {
            try open(Data([0x80, 0x02, 0x8A, 0x0A, 0x6C, 0xFC, 0x9C, 0x46, 0xF9, 0x20, 0x6A, 0xA8]), name: "legacy.bin")
        }
        assertCheckpointError(["absent.bin"]) {
            try PyTorchCheckpoint(url: dir.url.appendingPathComponent("absent.bin"))
        }
    }
}
