import _TestSupport
import Foundation
import LayerStats
import XCTest

/// A sweep's `stats.h5` against `qbench stats` on the same model, examples, batching and calibration: the static
/// scheme's clip statistics (the calibrated input grid and what it clipped) must be the same in both files.
final class SweepStatisticsCLITests: XCTestCase {
    let tiny = Fixtures.tinyBert.path
    let mrpc = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC").path

    func testSweepStatsAndQbenchStatsGiveTheSameStaticClipStatistics() throws {
        let root = try CLI.tempDir()
        let config = root.appendingPathComponent("stats.yaml")
        try """
            name: static-stats
            model: \(tiny)
            data: {path: \(mrpc), split: dev, limit: 16}
            batching: {batch_size: 8, max_seq_length: 64, pad_to_max: false}
            schemes: [q8bert-static]
            threads: [1]
            calibration: {examples: 16}
            statistics: {examples: 0}
            output: \(root.appendingPathComponent("runs").path)
            """.write(to: config, atomically: true, encoding: .utf8)
        let sweep = try CLI.run(["sweep", config.path])
        XCTAssertEqual(sweep.status, 0, sweep.stderr)
        let runs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        let sweepFile = try HDF5File(path: root.appendingPathComponent("runs/\(try XCTUnwrap(runs.first))/stats.h5").path)

        let statsOut = root.appendingPathComponent("stats.h5").path
        let stats = try CLI.run(["stats", "--model", tiny, "--data", mrpc, "--split", "dev", "--limit", "16",
                                 "--scheme", "q8bert-static", "--batch-size", "8", "--max-seq-length", "64",
                                 "--calibration-examples", "16", "--threads", "1", "--out", statsOut])
        XCTAssertEqual(stats.status, 0, stats.stderr)
        let statsFile = try HDF5File(path: statsOut)

        let layers = try statsFile.readStrings("/layer_names")
        XCTAssertEqual(try sweepFile.readStrings("/layer_names"), layers)
        var staticLayers = 0
        for layer in layers {
            let path = "/schemes/q8bert-static/layers/\(layer)/input_range"
            guard statsFile.exists(path) else { continue }
            XCTAssertTrue(sweepFile.exists(path), "\(path) missing from the sweep's stats.h5")
            let expected = try statsFile.attributeNames(of: path)
            if expected.contains("static_lo") { staticLayers += 1 }
            for name in ["grid", "static_lo", "static_hi", "fraction_clipped", "clipped", "count"] where expected.contains(name) {
                let a = try statsFile.attribute(name, of: path)
                let b = try? sweepFile.attribute(name, of: path)
                XCTAssertEqual(b, a, "\(path)@\(name): sweep \(b.map { "\($0)" } ?? "missing"), qbench stats \(a)")
            }
        }
        XCTAssertGreaterThan(staticLayers, 0, "q8bert-static has calibrated input grids in qbench stats")
        XCTAssertEqual(try sweepFile.read("/schemes/q8bert-static/summary/input_fraction_clipped", as: Double.self).values,
                       try statsFile.read("/schemes/q8bert-static/summary/input_fraction_clipped", as: Double.self).values)
    }
}
