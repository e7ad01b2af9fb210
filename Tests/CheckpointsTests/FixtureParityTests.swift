import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

/// The two real fixtures hold the same random BERT, saved by `save_pretrained` with and
/// without `safe_serialization`: every tensor must read back bit-identically.
final class FixtureParityTests: XCTestCase {
    let safetensorsURL = Fixtures.fixtures.appendingPathComponent("tiny-random-bert/model.safetensors")
    let binURL = Fixtures.fixtures.appendingPathComponent("tiny-random-bert-pytorch-bin/pytorch_model.bin")

    func testSafetensorsFixtureHeader() throws {
        let file = try SafeTensorsFile(url: safetensorsURL)
        XCTAssertEqual(file.names.count, 41)
        XCTAssertEqual(file.names, file.names.sorted())
        XCTAssertEqual(file.metadata, ["format": "pt"])
        let info = try file.info("bert.embeddings.word_embeddings.weight")
        XCTAssertEqual(info.dtype, .f32)
        XCTAssertEqual(info.shape, [1000, 64])
        XCTAssertEqual(info.byteRange.count, 1000 * 64 * 4)
        XCTAssertEqual(try file.rawBytes("classifier.bias").count, 8)
    }

    func testPyTorchFixtureHeader() throws {
        let bin = try PyTorchCheckpoint(url: binURL)
        XCTAssertEqual(bin.archivePrefix, "pytorch_model")
        XCTAssertEqual(bin.names.count, 41)
        XCTAssertEqual(try bin.shape(of: "bert.encoder.layer.0.output.dense.weight"), [64, 256])
        XCTAssertEqual(try bin.dtype(of: "classifier.weight"), .f32)
    }

    func testSameKeysAndBitIdenticalValues() throws {
        let safe = try SafeTensorsFile(url: safetensorsURL)
        let bin = try PyTorchCheckpoint(url: binURL)
        XCTAssertEqual(safe.names, bin.names, "key sets differ")
        for name in safe.names {
            let a = try safe.floatTensor(name)
            let b = try bin.floatTensor(name)
            XCTAssertEqual(a.shape, b.shape, name)
            XCTAssertEqual(a.data.map(\.bitPattern), b.data.map(\.bitPattern), "\(name) differs")
        }
    }

    func testLoaderPrefersSafetensorsAndFallsBackToBin() throws {
        let safe = try CheckpointLoader.open(folder: safetensorsURL.deletingLastPathComponent())
        XCTAssertTrue(safe is SafeTensorsFile)
        let bin = try CheckpointLoader.open(folder: binURL.deletingLastPathComponent())
        XCTAssertTrue(bin is PyTorchCheckpoint)
        XCTAssertEqual(safe.names, bin.names)
        XCTAssertEqual(try safe.shape(of: "classifier.weight"), [2, 64])
        XCTAssertTrue(bin.contains("classifier.weight"))
        XCTAssertFalse(bin.contains("classifier.weight.missing"))
    }

    func testLoaderNamesWhatItLookedFor() throws {
        let dir = try TemporaryDirectory()
        let error = assertCheckpointError([dir.url.path, "model.safetensors", "pytorch_model.bin"]) {
            try CheckpointLoader.open(folder: dir.url)
        }
        guard case .noCheckpointFound = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testUnknownTensorNamesTheFileAndTensor() throws {
        let safe = try SafeTensorsFile(url: safetensorsURL)
        assertCheckpointError(["model.safetensors", "bert.nope"]) { try safe.floatTensor("bert.nope") }
        assertCheckpointError(["model.safetensors", "bert.nope"]) { try safe.rawBytes("bert.nope") }
        assertCheckpointError(["model.safetensors", "bert.nope"]) { try safe.info("bert.nope") }
        let bin = try PyTorchCheckpoint(url: binURL)
        assertCheckpointError(["pytorch_model.bin", "bert.nope"]) { try bin.floatTensor("bert.nope") }
        assertCheckpointError(["pytorch_model.bin", "bert.nope"]) { try bin.shape(of: "bert.nope") }
    }
}
