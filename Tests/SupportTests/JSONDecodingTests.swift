import _Support
import Foundation
import XCTest

/// Foundation reports a number its target type cannot hold as "not valid JSON" with no key; `JSONDecoding` names
/// the key and the value, and gives JSONSerialization's reason for real syntax errors.
final class JSONDecodingTests: XCTestCase {
    struct Config: Decodable {
        var eps: Double
        var size: Int
        var sizes: [Int]?
        var scale: Float?
        var nested: Nested?
        struct Nested: Decodable { var count: Int }
    }

    func failure(_ json: String) -> (path: String, message: String) {
        do {
            _ = try JSONDecoding.decode(Config.self, from: Data(json.utf8))
            XCTFail("decoded \(json)")
            return ("", "")
        } catch {
            return (DecodingErrorText.keyPath(error), DecodingErrorText.message(error))
        }
    }

    func testNonIntegralNumberForAnIntegerKeyNamesTheKey() {
        let f = failure(#"{"eps": 1e-12, "size": 2.5}"#)
        XCTAssertEqual(f.path, "size")
        XCTAssertEqual(f.message, "expected an integer, got 2.5")
    }

    func testNestedAndListPositions() {
        XCTAssertEqual(failure(#"{"eps": 0.1, "size": 3, "sizes": [1, 2, 7.25]}"#).path, "sizes[2]")
        let f = failure(#"{"eps": 0.1, "size": 3, "nested": {"count": 0.5}}"#)
        XCTAssertEqual(f.path, "nested.count")
        XCTAssertTrue(f.message.contains("got 0.5"), f.message)
    }

    func testOutOfRangeNumbers() {
        let big = failure(#"{"eps": 0.1, "size": 1e30}"#)
        XCTAssertEqual(big.path, "size")
        XCTAssertTrue(big.message.contains("out of range"), big.message)
        XCTAssertEqual(failure(#"{"eps": 0.1, "size": 1, "scale": 1e40}"#).path, "scale")
    }

    func testSyntaxErrorsSayWhatIsWrongAndQuoteLittle() {
        let f = failure(#"{"eps": 0.1, "size": "#)
        XCTAssertEqual(f.path, "(top level)")
        XCTAssertTrue(f.message.hasPrefix("not valid JSON"), f.message)
        XCTAssertLessThan(f.message.count, 300)
        let long = failure("{\"eps\": \"" + String(repeating: "A", count: 5000) + "\"}")
        XCTAssertLessThan(long.message.count, 300, long.message)
    }

    func testValidInputDecodes() throws {
        let c = try JSONDecoding.decode(Config.self, from: Data(#"{"eps": 1e-12, "size": 4, "scale": 0.5}"#.utf8))
        XCTAssertEqual(c.size, 4)
    }

    func testQuotedCapsAt80Characters() {
        XCTAssertEqual(JSONDecoding.quoted(String(repeating: "x", count: 81)).count, 81)
        XCTAssertTrue(JSONDecoding.quoted(String(repeating: "x", count: 81)).hasSuffix("…"))
        XCTAssertEqual(JSONDecoding.quoted("short"), "short")
    }
}
