import Foundation
import XCTest
import _Support

final class AtomicFolderTests: XCTestCase {
    var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("qb-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(at: root) }

    private var names: [String] { (try? FileManager.default.contentsOfDirectory(atPath: root.path).sorted()) ?? [] }

    func testFolderAppearsWholeOrNotAtAll() throws {
        let out = root.appendingPathComponent("model")
        try AtomicFolder.create(out) { tmp in try Data("a".utf8).write(to: tmp.appendingPathComponent("a.txt")) }
        XCTAssertEqual(names, ["model"])
        XCTAssertThrowsError(try AtomicFolder.create(out) { _ in }, "exists")
        struct Boom: Error {}
        XCTAssertThrowsError(try AtomicFolder.create(root.appendingPathComponent("other")) { tmp in
            try Data("b".utf8).write(to: tmp.appendingPathComponent("b.txt"))
            throw Boom()
        })
        XCTAssertEqual(names, ["model"], "a failed write leaves nothing behind")
    }

    /// With a staging folder the temporary is built there (never beside the destination, where another host's
    /// clean-up could judge it by a process id of its own), and a foreign-looking temporary beside the destination is
    /// left alone.
    func testStagingDirectory() throws {
        let shared = root.appendingPathComponent("cells")
        let staging = shared.appendingPathComponent(".staging-hostA")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: true)
        let foreign = shared.appendingPathComponent(".7.partial-2147483000-0")   // another host's cell, mid-write
        try FileManager.default.createDirectory(at: foreign, withIntermediateDirectories: true)
        var seen: URL?
        try AtomicFolder.create(shared.appendingPathComponent("3"), stagingDirectory: staging) { tmp in
            seen = tmp
            try Data("x".utf8).write(to: tmp.appendingPathComponent("cell.json"))
        }
        XCTAssertEqual(seen?.deletingLastPathComponent().path, staging.path)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: shared.path).sorted(),
                       [".7.partial-2147483000-0", ".staging-hostA", "3"])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: staging.path), [])
    }

    func testReplacingExisting() throws {
        let out = root.appendingPathComponent("bundle")
        try AtomicFolder.create(out) { tmp in try Data("1".utf8).write(to: tmp.appendingPathComponent("v")) }
        try AtomicFolder.create(out, replacingExisting: true) { tmp in try Data("2".utf8).write(to: tmp.appendingPathComponent("v")) }
        XCTAssertEqual(try String(contentsOf: out.appendingPathComponent("v"), encoding: .utf8), "2")
        XCTAssertEqual(names, ["bundle"])
    }

    func testAbandonedTemporariesOfDeadProcessesAreRemoved() throws {
        let fm = FileManager.default
        // A pid far above any real one: its process does not exist. Both the current and the older name form.
        for name in [".run-1.partial-2147483000-ABC", ".run-2.partial-2147483001", ".stats.h5.partial-2147483002-X"] {
            try fm.createDirectory(at: root.appendingPathComponent(name), withIntermediateDirectories: false)
        }
        let mine = TemporaryName.beside(root.appendingPathComponent("live"))
        try fm.createDirectory(at: mine, withIntermediateDirectories: false)
        try Data().write(to: root.appendingPathComponent(".hidden"))
        TemporaryName.removeAbandoned(in: root)
        XCTAssertEqual(names, [".hidden", mine.lastPathComponent].sorted())
    }

    func testAtomicFileWritesAndReportsThePath() throws {
        let url = root.appendingPathComponent("f.bin")
        try AtomicFile.write([Data([1, 2]), Data([3])], to: url)
        XCTAssertEqual(try Data(contentsOf: url), Data([1, 2, 3]))
        XCTAssertEqual(names, ["f.bin"])
        XCTAssertThrowsError(try AtomicFile.write(Data(), to: root.appendingPathComponent("missing/f").path)) { error in
            XCTAssertTrue("\(error)".contains("missing/f"), "\(error)")
        }
    }
}
