import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

/// Hostile inputs built in the test itself: each must end in one `CheckpointError` naming the file and the key,
/// tensor or offset, never a trap, a hang or unbounded memory.
final class HostileInputTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir = nil }

    /// NONE then DUP × 2²¹: the stack is refused once it passes the fixed limit, at the DUP that crosses it.
    func testRepeatedDupIsRefusedAtTheStackLimit() throws {
        var w = PickleWriter()
        w.op(0x4E)  // after PROTO 2: NONE at offset 2
        w.raw([UInt8](repeating: 0x32, count: 1 << 21))  // DUP × 2²¹
        w.op(0x2E)
        let url = try dir.file("dup.bin", torchArchive(pickle: w.bytes, storages: [:]))
        // The stack holds 1 + k values after the k-th DUP (at offset 2 + k); the limit is 2²⁰ values.
        assertCheckpointError(["dup.bin", "offset \(2 + (1 << 20))", "stack"]) { try PyTorchCheckpoint(url: url) }
    }

    /// MARK × 2²¹ grows the mark stack the same way.
    func testRepeatedMarkIsRefusedAtTheStackLimit() throws {
        var w = PickleWriter()
        w.raw([UInt8](repeating: 0x28, count: 1 << 21))  // MARK × 2²¹
        w.op(0x2E)
        let url = try dir.file("mark.bin", torchArchive(pickle: w.bytes, storages: [:]))
        assertCheckpointError(["mark.bin", "offset \(2 + (1 << 20))", "stack"]) { try PyTorchCheckpoint(url: url) }
    }

    /// LONG_BINPUT to ever-new indices grows the memo; it is refused at the same limit.
    func testMemoGrowthIsRefusedAtTheLimit() throws {
        var w = PickleWriter()
        w.op(0x4E)
        let count = (1 << 20) + 10
        for i in 0..<count {
            w.raw([0x72] + withUnsafeBytes(of: UInt32(i).littleEndian, Array.init))  // LONG_BINPUT i
        }
        w.op(0x2E)
        let url = try dir.file("memo.bin", torchArchive(pickle: w.bytes, storages: [:]))
        assertCheckpointError(["memo.bin", "offset \(3 + 5 * (1 << 20))", "memo"]) { try PyTorchCheckpoint(url: url) }
    }

    /// Two entries for the same tensor: JSON readers disagree on which wins (Foundation keeps the first, Python
    /// and Rust the last), so the file is refused, naming the key.
    func testDuplicateTensorKeyIsRefused() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}"#
        let url = try dir.file("dup.safetensors", safetensorsBytes(header: header, data: floatBytes([1, 2])))
        assertCheckpointError(["dup.safetensors", "'w'", "more than once"]) { try SafeTensorsFile(url: url) }
    }

    /// The same key spelled with an escape is still the same key.
    func testDuplicateKeyThroughAnEscapeIsRefused() throws {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""\u0077":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try dir.file("esc.safetensors", safetensorsBytes(header: header, data: floatBytes([1])))
        assertCheckpointError(["esc.safetensors", "'w'", "more than once"]) { try SafeTensorsFile(url: url) }
    }

    /// Duplicate `__metadata__` keys (e.g. two `quantbench.format` values) are refused too.
    func testDuplicateMetadataKeyIsRefused() throws {
        let header = #"{"__metadata__":{"quantbench.format":"1","quantbench.format":"2"},"#
            + #""w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try dir.file("meta.safetensors", safetensorsBytes(header: header, data: floatBytes([1])))
        assertCheckpointError(["meta.safetensors", "quantbench.format", "more than once"]) { try SafeTensorsFile(url: url) }
    }

    /// Same-named keys in different objects, and key-like text inside string values, are not duplicates.
    func testKeysInDifferentObjectsAreNotDuplicates() throws {
        let header = #"{"__metadata__":{"dtype":"{\"w\":1,\"w\":2}"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        let url = try dir.file("ok.safetensors", safetensorsBytes(header: header, data: floatBytes([1])))
        let f = try SafeTensorsFile(url: url)
        XCTAssertEqual(f.names, ["w"])
        XCTAssertEqual(f.metadata["dtype"], #"{"w":1,"w":2}"#)
    }
}
