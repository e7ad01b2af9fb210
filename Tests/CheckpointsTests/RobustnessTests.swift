import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

/// Hostile and randomly damaged inputs: every outcome is a value or a `CheckpointError`,
/// never a trap.
final class RobustnessTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir = nil }

    /// Deterministic generator so a failure reproduces (SplitMix64).
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// Cases per fuzz test; raise with `CHECKPOINTS_FUZZ_ITERATIONS` for a longer local run.
    private let iterations = ProcessInfo.processInfo.environment["CHECKPOINTS_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 400

    private func basePickle() -> [UInt8] {
        PickleWriter.stateDict([
            ("a", { $0.tensor(storageType: "FloatStorage", key: "0", numel: 6, offset: 0, size: [2, 3], stride: [3, 1]) }),
            ("b", { $0.tensor(storageType: "HalfStorage", key: "1", numel: 4, offset: 1, size: [3], stride: [1]) }),
        ])
    }

    private let storages = ["0": floatBytes([1, 2, 3, 4, 5, 6]), "1": Data([0, 0x3C, 0, 0x40, 0, 0x42, 0, 0x44])]

    private func mutate(_ bytes: [UInt8], _ rng: inout SplitMix64) -> [UInt8] {
        var out = bytes
        switch Int.random(in: 0..<4, using: &rng) {
        case 0:
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                out[Int.random(in: 0..<out.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
            }
        case 1:
            out = Array(out.prefix(Int.random(in: 0..<out.count, using: &rng)))
        case 2:
            out.insert(UInt8.random(in: 0...255, using: &rng), at: Int.random(in: 0...out.count, using: &rng))
        default:
            let i = Int.random(in: 0..<out.count, using: &rng)
            out[i] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &rng)
        }
        return out
    }

    private func readAll(_ source: TensorSource) throws {
        for name in source.names {
            let t = try source.floatTensor(name)
            XCTAssertEqual(t.shape, try source.shape(of: name))
        }
    }

    private func expectValueOrCheckpointError(_ label: String, _ body: () throws -> Void) {
        do { try body() } catch is CheckpointError {} catch { XCTFail("\(label): non-checkpoint error \(error)") }
    }

    func testBasePickleReads() throws {
        let url = try dir.file("ok.bin", torchArchive(pickle: basePickle(), storages: storages))
        let ckpt = try PyTorchCheckpoint(url: url)
        XCTAssertEqual(try ckpt.floatTensor("a").data, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try ckpt.floatTensor("b").data, [2, 3, 4])
    }

    func testRandomlyDamagedPickles() throws {
        var rng = SplitMix64(state: 1)
        let base = basePickle()
        for i in 0..<iterations {
            let pickle = mutate(base, &rng)
            let url = try dir.file("p\(i).bin", torchArchive(pickle: pickle, storages: storages))
            expectValueOrCheckpointError("pickle \(i)") { try readAll(try PyTorchCheckpoint(url: url)) }
            try FileManager.default.removeItem(at: url)
        }
    }

    func testRandomlyDamagedArchives() throws {
        var rng = SplitMix64(state: 2)
        let base = [UInt8](torchArchive(pickle: basePickle(), storages: storages))
        for i in 0..<iterations {
            let url = try dir.file("z\(i).bin", Data(mutate(base, &rng)))
            expectValueOrCheckpointError("archive \(i)") { try readAll(try PyTorchCheckpoint(url: url)) }
            try FileManager.default.removeItem(at: url)
        }
    }

    func testRandomlyDamagedSafetensors() throws {
        var rng = SplitMix64(state: 3)
        var writer = SafeTensorsWriter(metadata: ["format": "pt"])
        try writer.add("w", Tensor(shape: [2, 2], data: [1, 2, 3, 4]))
        try writer.add("q", dtype: .i8, shape: [3], bytes: Data([1, 2, 3]))
        try writer.add("h", dtype: .bf16, shape: [1], bytes: Data([0x80, 0x3F]))
        let base = [UInt8](try writer.serialized())
        for i in 0..<iterations {
            let url = try dir.file("s\(i).safetensors", Data(mutate(base, &rng)))
            expectValueOrCheckpointError("safetensors \(i)") { try readAll(try SafeTensorsFile(url: url)) }
            try FileManager.default.removeItem(at: url)
        }
    }

    func testDeepNestingIsRefusedNotOverflowed() throws {
        var w = PickleWriter()
        w.op(0x4E)  // NONE
        w.raw([UInt8](repeating: 0x85, count: 1_000_000))  // TUPLE1 × 10⁶
        w.op(0x2E)
        let url = try dir.file("deep.bin", torchArchive(pickle: w.bytes, storages: [:]))
        assertCheckpointError(["deep.bin", "nested deeper"]) { try PyTorchCheckpoint(url: url) }

        // A chain of lists built through the memo, each appended into the previous one.
        var chain = PickleWriter()
        chain.raw([0x5D, 0x71, 0x00])  // EMPTY_LIST, BINPUT 0
        for i in 0..<200_000 {
            chain.raw([0x6A] + withUnsafeBytes(of: UInt32(i).littleEndian, Array.init))  // LONG_BINGET i
            chain.raw([0x5D, 0x72] + withUnsafeBytes(of: UInt32(i + 1).littleEndian, Array.init))  // EMPTY_LIST, LONG_BINPUT
            chain.raw([0x61, 0x30])  // APPEND, POP
        }
        chain.op(0x2E)
        let chainURL = try dir.file("chain.bin", torchArchive(pickle: chain.bytes, storages: [:]))
        assertCheckpointError(["chain.bin", "after being nested"]) { try PyTorchCheckpoint(url: chainURL) }
    }

    func testSelfContainingListIsRefused() throws {
        // l = []; l.append(l)
        let pickle: [UInt8] = [0x80, 0x02, 0x5D, 0x71, 0x00, 0x68, 0x00, 0x61, 0x2E]
        let url = try dir.file("cycle.bin", torchArchive(pickle: pickle, storages: [:]))
        assertCheckpointError(["cycle.bin", "cycles"]) { try PyTorchCheckpoint(url: url) }
    }
}
