import XCTest
import _Support

final class MedianTests: XCTestCase {
    func testMedian() {
        XCTAssertEqual([Double]().median, 0)
        XCTAssertEqual([3.0].median, 3)
        XCTAssertEqual([5.0, 1, 3].median, 3)
        XCTAssertEqual([4.0, 1, 3, 2].median, 2.5)
        XCTAssertEqual([2.0, 1].median, 1.5)
    }
}
