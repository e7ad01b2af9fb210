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
}
