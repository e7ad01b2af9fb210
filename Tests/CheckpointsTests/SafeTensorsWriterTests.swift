import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

final class SafeTensorsWriterTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir = nil }

    private func sampleWriter() throws -> SafeTensorsWriter {
        var writer = SafeTensorsWriter(metadata: ["format": "pt", "scheme": "q8/per-channel", "note": "quote \" ok"])
        try writer.add("layer.weight", Tensor(shape: [2, 3], data: [1, -2, 3.5, .pi, -0.0, .greatestFiniteMagnitude]))
        try writer.add("layer.weight_q", dtype: .i8, shape: [3], bytes: Data([0x7F, 0x80, 0x01]))
        try writer.add("layer.acc", dtype: .i32, shape: [2],
                       bytes: Data([0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 0x00, 0x00]))
        try writer.add("layer.half", dtype: .f16, shape: [1], bytes: Data([0x00, 0x3C]))
        try writer.add("empty", Tensor(shape: [0, 4], data: []))
        return writer
    }

    func testRoundTrip() throws {
        let url = dir.url.appendingPathComponent("out.safetensors")
        try sampleWriter().write(to: url)
        let file = try SafeTensorsFile(url: url)
        XCTAssertEqual(file.names, ["empty", "layer.acc", "layer.half", "layer.weight", "layer.weight_q"])
        XCTAssertEqual(file.metadata, ["format": "pt", "scheme": "q8/per-channel", "note": "quote \" ok"])
        let w = try file.floatTensor("layer.weight")
        XCTAssertEqual(w.shape, [2, 3])
        XCTAssertEqual(w.data.map(\.bitPattern),
                       [1, -2, 3.5, Float.pi, -0.0, .greatestFiniteMagnitude].map(\.bitPattern))
        XCTAssertEqual(try file.info("layer.weight_q").dtype, .i8)
        XCTAssertEqual(try file.rawBytes("layer.weight_q"), Data([0x7F, 0x80, 0x01]))
        XCTAssertEqual(try file.floatTensor("layer.weight_q").data, [127, -128, 1])
        XCTAssertEqual(try file.floatTensor("layer.acc").data, [-1, 256])
        XCTAssertEqual(try file.floatTensor("layer.half").data, [1])
        XCTAssertEqual(try file.floatTensor("empty"), Tensor(shape: [0, 4], data: []))
        XCTAssertEqual(try dir.contents(), ["out.safetensors"], "temporary file left behind")
    }

    func testLayoutFollowsTheReference() throws {
        let bytes = try sampleWriter().serialized()
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
        XCTAssertEqual(headerLength % 8, 0, "header must be padded to 8 bytes")
        let header = String(decoding: bytes[8..<(8 + headerLength)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix(#"{"__metadata__":{"#), header)
        XCTAssertTrue(header.contains(#""scheme":"q8/per-channel""#), "slashes must not be escaped: \(header)")
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        XCTAssertTrue(trimmed.hasSuffix("}"))
        XCTAssertTrue(header.dropFirst(trimmed.count).allSatisfy { $0 == " " })
        // Keys sorted; every tensor aligned to its element size within the data section.
        let file = try SafeTensorsFile(url: try dir.file("x.safetensors", bytes))
        var positions: [Int] = []
        for name in file.names {
            let info = try file.info(name)
            XCTAssertEqual(info.byteRange.lowerBound % info.dtype.byteSize, 0, name)
            positions.append(header.range(of: "\"\(name)\"")!.lowerBound.utf16Offset(in: header))
        }
        XCTAssertEqual(positions, positions.sorted(), "tensor keys must be sorted in the header")
    }

    func testWriteReplacesAnExistingFile() throws {
        let url = try dir.file("out.safetensors", Data("old contents".utf8))
        var writer = SafeTensorsWriter()
        try writer.add("x", Tensor(shape: [1], data: [7]))
        try writer.write(to: url)
        XCTAssertEqual(try SafeTensorsFile(url: url).floatTensor("x").data, [7])
        XCTAssertEqual(try dir.contents(), ["out.safetensors"])
    }

    func testFailedWriteLeavesNoDestination() throws {
        let writer = try sampleWriter()
        // Parent directory does not exist.
        let missingParent = dir.url.appendingPathComponent("no/such/dir/out.safetensors")
        let error = assertCheckpointError(["out.safetensors", "destination left unchanged"]) {
            try writer.write(to: missingParent)
        }
        guard case .writeFailed = error else { return XCTFail("wrong case: \(String(describing: error))") }
        XCTAssertFalse(FileManager.default.fileExists(atPath: missingParent.path))

        // Parent is a regular file.
        let blocker = try dir.file("blocker", Data("x".utf8))
        let underFile = blocker.appendingPathComponent("out.safetensors")
        assertCheckpointError(["out.safetensors"]) { try writer.write(to: underFile) }
        XCTAssertEqual(try Data(contentsOf: blocker), Data("x".utf8))

        // Destination is a directory: the rename fails after the data was written; the
        // directory stays as it was and the temporary file is cleaned up.
        let target = dir.url.appendingPathComponent("taken.safetensors")
        try FileManager.default.createDirectory(at: target, withIntermediateDirectories: false)
        try Data("keep".utf8).write(to: target.appendingPathComponent("inside"))
        assertCheckpointError(["taken.safetensors", "renaming"]) { try writer.write(to: target) }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: target.path), ["inside"])
        XCTAssertEqual(try dir.contents(), ["blocker", "taken.safetensors"], "temporary file left behind")
    }

    func testAddRejectsInconsistentTensors() throws {
        var writer = SafeTensorsWriter()
        assertCheckpointError(["'q'", "needs 6 bytes", "got 5"]) {
            try writer.add("q", dtype: .i16, shape: [3], bytes: Data(count: 5))
        }
        try writer.add("x", Tensor(shape: [1], data: [1]))
        assertCheckpointError(["'x'", "already"]) { try writer.add("x", Tensor(shape: [1], data: [2])) }
        assertCheckpointError(["'__metadata__'", "reserved"]) {
            try writer.add("__metadata__", Tensor(shape: [1], data: [2]))
        }
        assertCheckpointError(["empty name"]) { try writer.add("", Tensor(shape: [1], data: [2])) }
        assertCheckpointError(["'n'", "negative"]) { try writer.add("n", dtype: .u8, shape: [-1], bytes: Data()) }
        XCTAssertEqual(writer.names, ["x"])
    }

    func testEmptyWriterMatchesTheReferenceBytes() throws {
        // safetensors' own test_empty: `{}` padded with six spaces after an 8-byte length.
        XCTAssertEqual([UInt8](try SafeTensorsWriter().serialized()),
                       [8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32])
    }
}
