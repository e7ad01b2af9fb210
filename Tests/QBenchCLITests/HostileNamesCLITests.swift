import _TestSupport
import Foundation
import XCTest

/// Names read from files (scheme names, stats.h5 layer names) never become paths unchecked, and two names that map
/// to one file are refused: one error line naming the file and the key, exit 1, nothing written.
final class HostileNamesCLITests: XCTestCase {
    let dev = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv").path

    func assertOneLineError(_ r: CLI.Result, mentions: [String], line: UInt = #line) {
        XCTAssertEqual(r.status, 1, r.stderr, line: line)
        XCTAssertEqual(r.stderr.split(separator: "\n").count, 1, "expected one error line: \(r.stderr)", line: line)
        for m in mentions { XCTAssertTrue(r.stderr.contains(m), "\"\(r.stderr)\" does not mention \(m)", line: line) }
    }

    /// `qbench schemes NAME` as JSON with `name` replaced.
    func schemeFile(base: String, name: String, in dir: URL) throws -> URL {
        let r = try CLI.run(["schemes", base])
        guard r.status == 0 else { throw CLI.Failure("qbench schemes \(base): \(r.stderr)") }
        var object = try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as! [String: Any]
        object["name"] = name
        let url = dir.appendingPathComponent("scheme-\(UUID().uuidString.prefix(8)).json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url
    }

    func testSchemeFileNameThatIsAPathIsRefused() throws {
        let tmp = try CLI.tempDir()
        let out = try CLI.tempDir()
        for name in ["../../escaped", "a/b", ".hidden"] {
            let file = try schemeFile(base: "fp16", name: name, in: tmp)
            for args in [["stats", "--model", Fixtures.tinyBert.path, "--data", dev, "--scheme", file.path, "--limit", "4",
                          "--out", out.appendingPathComponent("s.h5").path],
                         ["eval", "--model", Fixtures.tinyBert.path, "--data", dev, "--scheme", file.path]] {
                let r = try CLI.run(args)
                assertOneLineError(r, mentions: [file.lastPathComponent, "key name", "not a safe file name"])
            }
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
    }

    func testExperimentSchemeNamesMustBeSafeAndMapToDistinctFiles() throws {
        let root = try CLI.tempDir()
        let scheme = try CLI.run(["schemes", "q8bert-dynamic"])
        XCTAssertEqual(scheme.status, 0, scheme.stderr)
        let object = try JSONSerialization.jsonObject(with: Data(scheme.stdout.utf8)) as! [String: Any]
        func inline(_ name: String) throws -> String {
            var o = object
            o["name"] = name
            return String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self)
        }
        let cases: [(schemes: [String], mentions: [String])] = [
            ([try inline("../outside")], ["key schemes[0]", "not a safe file name"]),
            (["q8bert-static", try inline("x+y"), try inline("x_y")], ["key schemes[2]", "x_y", "x+y", "x_y.threads-1.jsonl"]),
        ]
        for (i, c) in cases.enumerated() {
            let config = root.appendingPathComponent("e\(i).yaml")
            try """
                name: names
                model: \(Fixtures.tinyBert.path)
                data: {path: \(dev), limit: 4}
                schemes: [\(c.schemes.joined(separator: ", "))]
                output: \(root.appendingPathComponent("runs").path)
                """.write(to: config, atomically: true, encoding: .utf8)
            let r = try CLI.run(["sweep", config.path, "--dry-run"])
            assertOneLineError(r, mentions: ["e\(i).yaml"] + c.mentions)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.appendingPathComponent("runs").path))
    }

    /// results.json of a run folder from elsewhere: a scheme name with `../`, or two that share a predictions file.
    func testRunFolderSchemeNamesAreCheckedByExportAndReproduce() throws {
        let folder = try ExportCLITests.sweep()
        let root = try CLI.tempDir()
        let cases: [(rename: [Int: String], mentions: [String])] = [
            ([1: "../../escaped"], ["results.json", "key schemes[1].scheme", "not a safe file name"]),
            ([1: "x+y", 2: "x_y"], ["results.json", "key schemes[2].scheme", "x_y.threads-1.jsonl"]),
        ]
        for (i, c) in cases.enumerated() {
            let dir = root.appendingPathComponent("run\(i)")
            try FileManager.default.copyItem(at: folder, to: dir)
            let url = dir.appendingPathComponent("results.json")
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            var schemes = object["schemes"] as! [[String: Any]]
            for (k, name) in c.rename { schemes[k]["scheme"] = name }
            object["schemes"] = schemes
            try JSONSerialization.data(withJSONObject: object).write(to: url)
            let out = root.appendingPathComponent("out\(i)")
            try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
            let r = try CLI.run(["export", dir.path, "--notebook", out.appendingPathComponent("nb.ipynb").path])
            assertOneLineError(r, mentions: c.mentions)
            XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: out.path), [])
            let again = try CLI.run(["reproduce", dir.path])
            assertOneLineError(again, mentions: c.mentions)
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: root.deletingLastPathComponent().appendingPathComponent("escaped").path))
    }
}
