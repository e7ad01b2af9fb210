import _TestSupport
import XCTest
import Datasets

final class PairDatasetTests: XCTestCase {
    func testMRPCDevLoads() throws {
        let ds = try PairDataset.load(path: Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path, split: "dev")
        XCTAssertEqual(ds.count, 408)
        XCTAssertEqual(ds.labels.filter { $0 == 1 }.count, 279)
        XCTAssertEqual(ds.examples[0].id1, "1355540")
        XCTAssertTrue(ds.examples[0].textA.hasPrefix("He said the foodservice pie business doesn 't fit"))
        XCTAssertTrue(ds.examples[0].textB.hasPrefix("\" The foodservice pie"))
    }

    func testMRPCTrainAndUnlabelledTest() throws {
        let root = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path
        XCTAssertEqual(try PairDataset.load(path: root, split: "train").count, 3668)
        let test = try PairDataset.load(path: root, split: "test")
        XCTAssertEqual(test.count, 1725)
        XCTAssertFalse(test.isLabelled)
    }

    func testMSRPFormatWithCRLFAndNoBOM() throws {
        let text = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\r\n1\t1\t2\tA \"quoted\" b\tc\r\n0\t3\t4\td\te\r\n"
        let ds = try PairDataset.parse(text: text, path: "msr.txt")
        XCTAssertEqual(ds.count, 2)
        XCTAssertEqual(ds.examples[0].textA, "A \"quoted\" b")
        XCTAssertEqual(ds.examples[1].textB, "e")
        XCTAssertEqual(ds.labels, [1, 0])
    }

    func testRowWithThreeColumnsNamesFileAndLine() {
        let text = "\u{FEFF}Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\n1\t1\t2\ta\tb\n1\t2\tc\n"
        XCTAssertThrowsError(try PairDataset.parse(text: text, path: "bad.tsv")) { error in
            XCTAssertEqual(error as? DatasetError, .badRow(path: "bad.tsv", line: 3, columns: 3, expected: 5))
            XCTAssertTrue("\(error)".contains("bad.tsv, line 3"))
        }
    }

    func testBadLabel() {
        let text = "Quality\t#1 ID\t#2 ID\t#1 String\t#2 String\nx\t1\t2\ta\tb\n"
        XCTAssertThrowsError(try PairDataset.parse(text: text, path: "l.tsv")) { error in
            XCTAssertEqual(error as? DatasetError, .badLabel(path: "l.tsv", line: 2, value: "x"))
        }
    }

    func testUnreadablePathAndMissingSplit() {
        XCTAssertThrowsError(try PairDataset.load(path: "/nonexistent/x.tsv")) { error in
            XCTAssertTrue("\(error)".contains("/nonexistent/x.tsv"))
        }
        let root = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path
        XCTAssertThrowsError(try PairDataset.load(path: root, split: "validation")) { error in
            XCTAssertTrue("\(error)".contains("validation.tsv"))
            XCTAssertTrue("\(error)".contains("dev.tsv"))
        }
    }

    func testF1AndAccuracy() {
        let m = ClassificationMetrics(predictions: [1, 1, 0, 0, 1], labels: [1, 0, 1, 0, 1])
        XCTAssertEqual(m.truePositives, 2)
        XCTAssertEqual(m.f1, 4.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(m.accuracy, 0.6, accuracy: 1e-12)
    }
}
