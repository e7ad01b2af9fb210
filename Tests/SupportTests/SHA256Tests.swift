import _Support
import Foundation
import XCTest

/// FIPS 180-4 / NIST CSRC example vectors for SHA-256.
final class SHA256Tests: XCTestCase {
    func testNISTVectors() {
        XCTAssertEqual(SHA256.hex(Data()), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(SHA256.hex(Data("abc".utf8)), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(SHA256.hex(Data("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)),
                       "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        XCTAssertEqual(SHA256.hex(Data(repeating: UInt8(ascii: "a"), count: 1_000_000)),
                       "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    /// Feeding the same bytes in uneven pieces (across block boundaries, lengths 55/56/64 padding edges) gives the
    /// one-shot digest.
    func testChunkedUpdatesEqualOneShot() {
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000] {
            let data = Data((0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) })
            var h = SHA256()
            var i = 0, step = 1
            while i < length {
                h.update(data.subdata(in: i..<min(length, i + step)))
                i += step
                step = step % 13 + 5
            }
            XCTAssertEqual(h.hexDigest(), SHA256.hex(data), "length \(length)")
        }
    }

    func testFileHashMatchesDataHash() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sha-\(UUID().uuidString)")
        let data = Data((0..<(5 << 20)).map { UInt8(truncatingIfNeeded: $0 ^ ($0 >> 8)) })  // > one 4 MiB chunk
        try data.write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let (hex, bytes) = try SHA256.hexOfFile(url.path)
        XCTAssertEqual(bytes, data.count)
        XCTAssertEqual(hex, SHA256.hex(data))
    }
}
