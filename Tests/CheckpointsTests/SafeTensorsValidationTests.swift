import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

/// Every way a safetensors file can be wrong is an error naming the file (and the tensor).
final class SafeTensorsValidationTests: XCTestCase {
    var dir: TemporaryDirectory!

    override func setUpWithError() throws { dir = try TemporaryDirectory() }
    override func tearDown() { dir = nil }

    private func open(_ bytes: Data, name: String = "bad.safetensors") throws -> SafeTensorsFile {
        try SafeTensorsFile(url: try dir.file(name, bytes))
    }

    func testMissingFile() {
        let url = dir.url.appendingPathComponent("absent.safetensors")
        let error = assertCheckpointError(["absent.safetensors"]) { try SafeTensorsFile(url: url) }
        guard case .unreadable = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testShorterThanEightBytes() {
        for size in [0, 3, 7] {
            let error = assertCheckpointError(["short.safetensors", "\(size) bytes"]) {
                try open(Data(repeating: 1, count: size), name: "short.safetensors")
            }
            guard case .fileTooSmall = error else { return XCTFail("wrong case: \(String(describing: error))") }
        }
    }

    func testHeaderLengthPastEndOfFile() {
        let bytes = safetensorsBytes(header: "{}", declaredLength: 4096)
        let error = assertCheckpointError(["bad.safetensors", "4096"]) { try open(bytes) }
        guard case .headerPastEndOfFile = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testAbsurdHeaderLength() {
        let bytes = safetensorsBytes(header: "{}", declaredLength: .max)
        let error = assertCheckpointError(["bad.safetensors", "limit"]) { try open(bytes) }
        guard case .headerTooLarge = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testTruncatedFileNamesTheCutTensor() throws {
        var writer = SafeTensorsWriter()
        try writer.add("a", Tensor(shape: [4], data: [1, 2, 3, 4]))
        try writer.add("b", Tensor(shape: [4], data: [5, 6, 7, 8]))
        let full = try writer.serialized()
        let error = assertCheckpointError(["cut.safetensors", "'b'", "truncated"]) {
            try open(full.prefix(full.count - 5), name: "cut.safetensors")
        }
        guard case .invalidOffsets = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testInvalidJSON() {
        let error = assertCheckpointError(["bad.safetensors", "invalid header"]) {
            try open(safetensorsBytes(header: #"{"a": {"dtype": "F32",  "#))
        }
        guard case .invalidHeader = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testHeaderMustBeAnObject() {
        assertCheckpointError(["bad.safetensors", "'{'"]) { try open(safetensorsBytes(header: "[1, 2]   ")) }
        assertCheckpointError(["bad.safetensors", "empty"]) { try open(safetensorsBytes(header: "")) }
        assertCheckpointError(["bad.safetensors", "UTF-8"]) {
            var bytes = safetensorsBytes(header: "{\"\u{e9}\": 1}")
            bytes[10] = 0xFF
            return try open(bytes)
        }
    }

    func testEntryThatIsNotAnObject() {
        assertCheckpointError(["bad.safetensors", "'w'", "not an object"]) {
            try open(safetensorsBytes(header: #"{"w": 3}"#))
        }
    }

    func testOffsetsPastEndOfData() {
        let header = #"{"w":{"dtype":"F32","shape":[8],"data_offsets":[0,32]}}"#
        let error = assertCheckpointError(["bad.safetensors", "'w'", "[0, 32]", "16-byte"]) {
            try open(safetensorsBytes(header: header, data: floatBytes([1, 2, 3, 4])))
        }
        guard case .invalidOffsets = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testBeginAfterEnd() {
        let header = #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[8,4]}}"#
        let error = assertCheckpointError(["bad.safetensors", "'w'", "[8, 4]"]) {
            try open(safetensorsBytes(header: header, data: floatBytes([1, 2, 3])))
        }
        guard case .invalidOffsets = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testDTypeTimesShapeMustMatchByteLength() {
        let header = #"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#
        let error = assertCheckpointError(["bad.safetensors", "'w'", "needs 12 bytes", "span 16"]) {
            try open(safetensorsBytes(header: header, data: floatBytes([1, 2, 3, 4])))
        }
        guard case .byteCountMismatch = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testOverlappingTensors() {
        let header = #"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},"#
            + #""b":{"dtype":"F32","shape":[4],"data_offsets":[8,24]}}"#
        let error = assertCheckpointError(["bad.safetensors", "'a'", "'b'", "overlap"]) {
            try open(safetensorsBytes(header: header, data: floatBytes([1, 2, 3, 4, 5, 6])))
        }
        guard case .overlappingTensors = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testAliasedTensorsAreOverlap() {
        // Two names for the same bytes (the duplicate-entry aliasing trick) is an overlap too.
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"#
            + #""b":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}"#
        assertCheckpointError(["bad.safetensors", "'a'", "'b'"]) {
            try open(safetensorsBytes(header: header, data: floatBytes([1, 2])))
        }
    }

    func testHolesAndTrailingBytesAreRejected() {
        let hole = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"#
            + #""b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}"#
        assertCheckpointError(["bad.safetensors", "[4, 8)"]) {
            try open(safetensorsBytes(header: hole, data: floatBytes([1, 2, 3])))
        }
        let trailing = #"{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}"#
        assertCheckpointError(["bad.safetensors", "[4, 8)"]) {
            try open(safetensorsBytes(header: trailing, data: floatBytes([1, 2])))
        }
    }

    func testUnknownDType() {
        let header = #"{"w":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}"#
        let error = assertCheckpointError(["bad.safetensors", "'w'", "F17"]) {
            try open(safetensorsBytes(header: header, data: floatBytes([1])))
        }
        guard case .unknownDType = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testMissingAndMistypedFields() {
        assertCheckpointError(["bad.safetensors", "'w'", "data_offsets"]) {
            try open(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1]}}"#, data: floatBytes([1])))
        }
        assertCheckpointError(["bad.safetensors", "'w'", "dtype"]) {
            try open(safetensorsBytes(header: #"{"w":{"shape":[1],"data_offsets":[0,4]}}"#, data: floatBytes([1])))
        }
        assertCheckpointError(["bad.safetensors", "'w'", "shape"]) {
            try open(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":"1","data_offsets":[0,4]}}"#,
                                      data: floatBytes([1])))
        }
        assertCheckpointError(["bad.safetensors", "'w'", "shape"]) {
            try open(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}"#,
                                      data: floatBytes([1])))
        }
        assertCheckpointError(["bad.safetensors", "'w'", "negative"]) {
            try open(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#,
                                      data: floatBytes([1])))
        }
        assertCheckpointError(["bad.safetensors", "'w'", "data_offsets"]) {
            try open(safetensorsBytes(header: #"{"w":{"dtype":"F32","shape":[1],"data_offsets":[0]}}"#,
                                      data: floatBytes([1])))
        }
        assertCheckpointError(["bad.safetensors", "'w'", "overflows"]) {
            let huge = #"{"w":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,4]}}"#
            return try open(safetensorsBytes(header: huge, data: floatBytes([1])))
        }
    }

    func testMetadataMustBeStrings() {
        let header = #"{"__metadata__":{"format":"pt","epoch":3}}"#
        let error = assertCheckpointError(["bad.safetensors", "'epoch'", "string"]) {
            try open(safetensorsBytes(header: header))
        }
        guard case .invalidMetadata = error else { return XCTFail("wrong case: \(String(describing: error))") }
    }

    func testPaddedHeaderEmptyAndScalarTensors() throws {
        let header = #"{"__metadata__":{"k":"v"},"s":{"dtype":"F32","shape":[],"data_offsets":[0,4]},"#
            + #""e":{"dtype":"F16","shape":[2,0],"data_offsets":[4,4]},"#
            + #""h":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}"# + "       "
        let bytes = safetensorsBytes(header: header, data: floatBytes([2.5]) + Data([0x00, 0x3C, 0x00, 0xC0]))
        let file = try open(bytes)
        XCTAssertEqual(file.names, ["e", "h", "s"])
        XCTAssertEqual(file.metadata, ["k": "v"])
        XCTAssertEqual(try file.floatTensor("s"), Tensor(shape: [], data: [2.5]))
        XCTAssertEqual(try file.floatTensor("e"), Tensor(shape: [2, 0], data: []))
        XCTAssertEqual(try file.floatTensor("h"), Tensor(shape: [2], data: [1, -2]))
        XCTAssertEqual(try file.info("h"), TensorInfo(dtype: .f16, shape: [2], byteRange: 4..<8))
        XCTAssertEqual(try file.rawBytes("e"), Data())
    }

    func testEmptyHeaderObject() throws {
        let file = try open(safetensorsBytes(header: "{}      "))
        XCTAssertEqual(file.names, [])
        XCTAssertEqual(file.metadata, [:])
    }
}
