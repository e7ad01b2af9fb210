import _TestSupport
import Foundation
import XCTest
import Checkpoints
import TensorCore

/// Half-precision and 8-bit float conversions are exact, checked over every bit pattern.
final class DTypeConversionTests: XCTestCase {
    private func readBack(_ dtype: DType, _ bytes: Data, count: Int) throws -> [Float] {
        let dir = try TemporaryDirectory()
        var writer = SafeTensorsWriter()
        try writer.add("t", dtype: dtype, shape: [count], bytes: bytes)
        let url = dir.url.appendingPathComponent("t.safetensors")
        try writer.write(to: url)
        return try SafeTensorsFile(url: url).floatTensor("t").data
    }

    private func allPatterns16() -> Data {
        var bytes = Data()
        for bits in 0...UInt16.max { withUnsafeBytes(of: bits.littleEndian) { bytes.append(contentsOf: $0) } }
        return bytes
    }

    func testF16IsExactForEveryBitPattern() throws {
        let values = try readBack(.f16, allPatterns16(), count: 65536)
        for bits in 0...UInt16.max {
            let got = values[Int(bits)]
            #if arch(x86_64) || arch(arm64)
            let expected = Float(Float16(bitPattern: bits))
            if expected.isNaN {
                XCTAssertTrue(got.isNaN, "0x\(String(bits, radix: 16))")
                // Payload kept: the 10 mantissa bits land in the top of the Float mantissa.
                XCTAssertEqual((got.bitPattern >> 13) & 0x3FF, UInt32(bits & 0x3FF))
            } else {
                XCTAssertEqual(got.bitPattern, expected.bitPattern, "0x\(String(bits, radix: 16))")
            }
            #endif
        }
        XCTAssertEqual(values[0x3C00], 1)
        XCTAssertEqual(values[0x0001], 0x1p-24)  // smallest subnormal
        XCTAssertEqual(values[0x03FF], 0x1.ff8p-15)  // largest subnormal
        XCTAssertEqual(values[0x7BFF], 65504)
        XCTAssertEqual(values[0xFC00], -.infinity)
        XCTAssertEqual(values[0x8000].bitPattern, (-0.0 as Float).bitPattern)
    }

    func testBF16IsTheUpperHalfOfF32() throws {
        let values = try readBack(.bf16, allPatterns16(), count: 65536)
        for bits in 0...UInt16.max {
            XCTAssertEqual(values[Int(bits)].bitPattern, UInt32(bits) << 16)
        }
    }

    func testF8Formats() throws {
        let all = Data((0...255).map { UInt8($0) })
        let e5m2 = try readBack(.f8E5M2, all, count: 256)
        let e4m3 = try readBack(.f8E4M3, all, count: 256)
        for b in 0...255 {
            #if arch(x86_64) || arch(arm64)
            let expected = Float(Float16(bitPattern: UInt16(b) << 8))
            XCTAssertTrue(e5m2[b] == expected || (e5m2[b].isNaN && expected.isNaN), "E5M2 0x\(String(b, radix: 16))")
            #endif
        }
        XCTAssertEqual(e4m3[0x38], 1)          // 0.0111.000 = 2^0
        XCTAssertEqual(e4m3[0x7E], 448)        // largest finite
        XCTAssertEqual(e4m3[0x01], 0x1p-9)     // smallest subnormal
        XCTAssertEqual(e4m3[0xB8], -1)
        XCTAssertTrue(e4m3[0x7F].isNaN)
        XCTAssertTrue(e4m3[0xFF].isNaN)
        XCTAssertEqual(e4m3.filter(\.isInfinite).count, 0)
    }

    func testIntegersAndDoubles() throws {
        var i64 = Data()
        for v: Int64 in [-3, 0, 1 << 40] { withUnsafeBytes(of: v.littleEndian) { i64.append(contentsOf: $0) } }
        XCTAssertEqual(try readBack(.i64, i64, count: 3), [-3, 0, 0x1p40])
        var f64 = Data()
        for v: Double in [0.1, -2] { withUnsafeBytes(of: v.bitPattern.littleEndian) { f64.append(contentsOf: $0) } }
        XCTAssertEqual(try readBack(.f64, f64, count: 2), [Float(0.1), -2])
        XCTAssertEqual(try readBack(.u8, Data([0, 255]), count: 2), [0, 255])
        XCTAssertEqual(try readBack(.bool, Data([0, 1, 7]), count: 3), [0, 1, 1])
        XCTAssertEqual(try readBack(.i16, Data([0x00, 0x80]), count: 1), [-32768])
        XCTAssertEqual(try readBack(.u16, Data([0x00, 0x80]), count: 1), [32768])
        XCTAssertEqual(try readBack(.u32, Data([0, 0, 0, 0x80]), count: 1), [0x1p31])
        XCTAssertEqual(try readBack(.u64, Data([0, 0, 0, 0, 0, 0, 0, 0x80]), count: 1), [0x1p63])
    }

    func testDTypeTable() {
        XCTAssertEqual(DType.allCases.count, 15)
        XCTAssertEqual(DType(safetensorsName: "BF16"), .bf16)
        XCTAssertEqual(DType.f8E4M3.safetensorsName, "F8_E4M3")
        XCTAssertNil(DType(safetensorsName: "float32"))
        XCTAssertEqual(DType.allCases.map(\.byteSize).reduce(0, +), 1 + 1 + 1 + 1 + 1 + 2 + 2 + 2 + 2 + 4 + 4 + 4 + 8 + 8 + 8)
    }
}
