import _TestSupport
import Foundation
import LayerStats
import XCTest

/// The HDF5 writer and reader: round trip, determinism, atomic writes, and `h5dump` readability.
final class HDF5WriterTests: XCTestCase {
    func tempDir() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("layerstats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    func makeFile() throws -> HDF5Writer {
        let w = try HDF5Writer()
        try w.setAttribute("schema_version", .int(1))
        try w.setAttribute("created", .string("2024-01-01T00:00:00Z"))
        try w.write("/schemes/s/summary/layer_names", strings: ["encoder.layer.0.attention.self.query", "classifier", "ü"])
        try w.write("/schemes/s/summary/output_sqnr_db", [30.5, .infinity, -1])
        try w.write("/schemes/s/layers/classifier/weight/scales", [Float(0.5), 0.25])
        try w.write("/schemes/s/layers/classifier/weight/zero_points", [Int32(0), -3])
        try w.write("/schemes/s/layers/classifier/weight/hist_counts", [UInt64](repeating: 7, count: 6), shape: [2, 3])
        try w.setAttribute("mse", .double(1.5e-7), on: "/schemes/s/layers/classifier/weight")
        try w.setAttribute("edges", .doubles([-1, 0, 1]), on: "/schemes/s/layers/classifier/weight")
        try w.setAttribute("shape", .ints([2, 384]), on: "/schemes/s/layers/classifier/weight")
        return w
    }

    func testRoundTrip() throws {
        let dir = try tempDir()
        let path = dir.appendingPathComponent("run.h5").path
        try makeFile().write(to: path)
        let f = try HDF5File(path: path)
        XCTAssertEqual(try f.attribute("schema_version"), .int(1))
        XCTAssertEqual(try f.attribute("created"), .string("2024-01-01T00:00:00Z"))
        XCTAssertEqual(try f.readStrings("/schemes/s/summary/layer_names"),
                       ["encoder.layer.0.attention.self.query", "classifier", "ü"])
        XCTAssertEqual(try f.read("/schemes/s/summary/output_sqnr_db", as: Double.self).values, [30.5, .infinity, -1])
        XCTAssertEqual(try f.read("/schemes/s/layers/classifier/weight/scales", as: Float.self).values, [0.5, 0.25])
        XCTAssertEqual(try f.read("/schemes/s/layers/classifier/weight/zero_points", as: Int32.self).values, [0, -3])
        let h = try f.read("/schemes/s/layers/classifier/weight/hist_counts", as: UInt64.self)
        XCTAssertEqual(h.shape, [2, 3])
        XCTAssertEqual(try f.attribute("mse", of: "/schemes/s/layers/classifier/weight"), .double(1.5e-7))
        XCTAssertEqual(try f.attribute("edges", of: "/schemes/s/layers/classifier/weight"), .doubles([-1, 0, 1]))
        XCTAssertEqual(try f.attribute("shape", of: "/schemes/s/layers/classifier/weight"), .ints([2, 384]))
        XCTAssertEqual(try f.members(of: "/schemes/s"), ["layers", "summary"])
        XCTAssertEqual(try f.attributeNames(of: "/").sorted(), ["created", "schema_version"])
        XCTAssertTrue(f.exists("/schemes/s/layers/classifier/weight/scales"))
        XCTAssertFalse(f.exists("/schemes/t/layers"))
        XCTAssertThrowsError(try f.read("/nope", as: Double.self))
        // Nothing but the file in the folder (the temporary file was renamed).
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: dir.path), ["run.h5"])
    }

    func testSameCallsGiveSameBytes() throws {
        XCTAssertEqual(try makeFile().image(), try makeFile().image())
    }

    func testUnwritableFolderLeavesNothing() throws {
        let w = try makeFile()
        XCTAssertThrowsError(try w.write(to: "/nonexistent-dir/run.h5")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent-dir/run.h5"), "\(error)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: "/nonexistent-dir/run.h5"))
    }

    func testH5dumpReadsTheFile() throws {
        let h5dump = ["/usr/bin/h5dump", "/usr/local/bin/h5dump"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let h5dump else { throw XCTSkip("h5dump (hdf5-tools) not installed") }
        let path = try tempDir().appendingPathComponent("run.h5").path
        try makeFile().write(to: path)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: h5dump)
        p.arguments = ["-A", path]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = Pipe()
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("H5T_CSET_UTF8"), text)
        XCTAssertTrue(text.contains("\"2024-01-01T00:00:00Z\""), text)
        XCTAssertTrue(text.contains("DATASET \"output_sqnr_db\""), text)
    }
}
