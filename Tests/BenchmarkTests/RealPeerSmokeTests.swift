import _TestSupport
import Benchmark
import Experiments
import Foundation
import RunRecords
import XCTest

/// `qbench bench`'s library call with the real `experiments/peers/qbench_peers.py` on the tiny model: every PyTorch
/// quantized engine and every ORT configuration is either timed or listed with its reason, digests match, the
/// fastest peers are chosen. Opt-in: runs with the Python named by `QB_PEER_PYTHON` (PyTorch, transformers and, for
/// the ORT rows, onnxruntime: several GB of wheels, which CI does not install), and is skipped with that reason when
/// the variable is unset. A Python that is named but cannot import torch and transformers is a failure.
/// Nothing here looks at a timing value.
final class RealPeerSmokeTests: XCTestCase {
    /// Runs `python -c code`; exit status and the tail of its output.
    static func run(_ python: String, _ code: String) -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, "-c", code]
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        do { try p.run() } catch { return (127, "\(error)") }
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let text = String(decoding: out, as: UTF8.self).split(separator: "\n").suffix(2).joined(separator: " ")
        return (p.terminationStatus, text)
    }

    /// The peer Python named by `QB_PEER_PYTHON`; a skip when unset, a failure when it cannot run the peers.
    static func peerPython(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        guard let python = ProcessInfo.processInfo.environment["QB_PEER_PYTHON"], !python.isEmpty else {
            throw XCTSkip("QB_PEER_PYTHON is not set: the real-peer smoke test needs a Python with torch and transformers "
                          + "(pip install torch transformers onnxruntime onnx)")
        }
        let r = run(python, "import torch, transformers, numpy")
        if r.status == 0 { return python }
        XCTFail("QB_PEER_PYTHON=\(python) cannot import torch, transformers and numpy (\(r.output))", file: file, line: line)
        throw CocoaError(.executableNotLoadable)
    }

    func testRealPeersOnTheTinyModel() throws {
        let python = try Self.peerPython()
        let hasORT = Self.run(python, "import onnxruntime, onnx").status == 0
        let tmp = try TemporaryDirectory()
        let json = tmp.url.appendingPathComponent("bench.json").path
        let request = BenchRun.Request(
            model: Fixtures.tinyBert.path, data: Fixtures.mrpc.path, split: "dev",
            schemes: [try SchemeResolver.resolve("fp32"), try SchemeResolver.resolve("pytorch-dynamic")],
            threads: [1], repeats: 2, warmups: 1, limit: 8,
            batching: BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: true),
            calibration: .init(data: Fixtures.mrpc.path),
            peer: .init(python: python, script: Fixtures.projectRoot.appendingPathComponent("experiments/peers/qbench_peers.py").path,
                        engines: "pytorch,onnxruntime", cacheDirectory: tmp.url.appendingPathComponent("cache").path),
            json: json)
        var log: [String] = []
        let session = try BenchRun.run(request, log: { log.append($0) })
        let obj = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: json))) as! [String: Any]
        let peer = obj["peer"] as! [String: Any]
        XCTAssertEqual(peer["input_sha256"] as? String, obj["input_sha256"] as? String)
        let supported = (peer["torch"] as? [String: Any])?["supported_quantized_engines"] as? [String] ?? []
        XCTAssertFalse(supported.isEmpty)
        let unavailable = session.unavailable
        let timed = Set(session.rows.compactMap { (r: Benchmark.Row) in r.config })

        // Every engine bench measures: timed when this torch has it, else listed as not available.
        for engine in ["x86", "fbgemm", "onednn"] {
            let name = "pytorch-dynamic-\(engine)"
            if supported.contains(engine) {
                XCTAssertTrue(timed.contains(name), "\(name) not timed although torch supports \(engine)")
            } else {
                XCTAssertTrue(unavailable.contains { $0.name == name && $0.reason.hasPrefix("not available:") }, "\(name)")
            }
        }
        for engine in supported where !["x86", "fbgemm", "onednn", "none"].contains(engine) {
            XCTAssertTrue(unavailable.contains { $0.name == "pytorch-dynamic-\(engine)" }, "\(engine) silently dropped")
        }
        let ort = ["ort-fp32", "ort-dynamic", "ort-fp32-fused", "ort-dynamic-fused"]
        if hasORT {
            XCTAssertTrue(Set(ort).isSubset(of: timed), "ORT rows missing: \(timed)")
            let fused = (peer["onnxruntime"] as? [String: Any])?["fused_operators"] as? [String: Int]
            XCTAssertEqual(fused?["Attention"], 2, "both layers' attention fused on the eager export")
        } else {
            for name in ort {
                XCTAssertTrue(unavailable.contains { $0.name == name && $0.reason.contains("not installed") }, name)
            }
        }
        XCTAssertTrue(timed.contains("pytorch-fp32"))

        for row in session.rows {
            XCTAssertEqual(row.seconds.count, 2, row.displayName)
            XCTAssertEqual(row.cpuSeconds.count, 2, row.displayName)
            XCTAssertEqual(row.warmupSeconds.count, 1, row.displayName)
            XCTAssertEqual(row.predictions?.count, 8, row.displayName)
            XCTAssertNotNil(row.firstPassOverMedian, row.displayName)
        }
        let fastest = obj["fastest_peers"] as! [[String: Any]]
        XCTAssertEqual(fastest.map { $0["precision"] as? String }, ["int8", "fp32"])
        for f in fastest { XCTAssertGreaterThan(f["ours_vs_fastest_peer"] as? Double ?? 0, 0) }
        XCTAssertTrue(log.contains { $0.contains("| threads | precision | fastest peer |") }, log.joined(separator: "\n"))
        XCTAssertTrue(log.contains { $0.hasPrefix("peers (\(python)): torch ") }, log.joined(separator: "\n"))
    }

    /// The real peer where onnxruntime cannot be imported (hidden behind a module that raises ImportError): the
    /// PyTorch rows are timed and the four ORT configurations are listed as not available, with the pip line. The
    /// model folder is written the way `qbench model init` writes one: `architectures` but no `model_type`.
    func testRealPeerWithoutONNXRuntimeListsItsRowsAsNotAvailable() throws {
        let python = try Self.peerPython()
        let tmp = try TemporaryDirectory()
        let model = tmp.url.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Fixtures.tinyBert.path) where name != "config.json" {
            try FileManager.default.copyItem(at: Fixtures.tinyBert.appendingPathComponent(name),
                                             to: model.appendingPathComponent(name))
        }
        var config = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.tinyBert.appendingPathComponent("config.json"))) as! [String: Any]
        config["model_type"] = nil
        XCTAssertEqual(config["architectures"] as? [String], ["BertForSequenceClassification"])
        try JSONSerialization.data(withJSONObject: config).write(to: model.appendingPathComponent("config.json"))
        let blocker = tmp.url.appendingPathComponent("blocker/onnxruntime")
        try FileManager.default.createDirectory(at: blocker, withIntermediateDirectories: true)
        try "raise ModuleNotFoundError(\"No module named 'onnxruntime'\", name='onnxruntime')\n"
            .write(to: blocker.appendingPathComponent("__init__.py"), atomically: true, encoding: .utf8)
        let wrapper = try tmp.file("python", Data("#!/bin/sh\nPYTHONPATH='\(tmp.url.path)/blocker' exec \(python) \"$@\"\n".utf8))
        chmod(wrapper.path, 0o755)
        let request = BenchRun.Request(
            model: model.path, data: Fixtures.mrpc.path, split: "dev",
            schemes: [try SchemeResolver.resolve("pytorch-dynamic")], threads: [1], repeats: 1, warmups: 1, limit: 8,
            batching: BatchingOptions(batchSize: 8, maxSeqLength: 128, padToMax: true),
            calibration: .init(data: Fixtures.mrpc.path),
            peer: .init(python: wrapper.path,
                        script: Fixtures.projectRoot.appendingPathComponent("experiments/peers/qbench_peers.py").path,
                        engines: "pytorch,onnxruntime", cacheDirectory: tmp.url.appendingPathComponent("cache").path),
            json: nil)
        var log: [String] = []
        let session = try BenchRun.run(request, log: { log.append($0) })
        XCTAssertFalse(session.rows.contains { $0.engine == "onnxruntime" })
        XCTAssertTrue(session.rows.contains { $0.config == "pytorch-fp32" })
        let ort = session.unavailable.filter { $0.engine == "onnxruntime" }
        XCTAssertEqual(ort.map(\.name), ["ort-fp32", "ort-dynamic", "ort-fp32-fused", "ort-dynamic-fused"])
        for u in ort {
            XCTAssertTrue(u.reason.hasPrefix("not available: Python package onnxruntime is not installed"), u.reason)
            XCTAssertTrue(u.reason.contains("pip install torch transformers onnxruntime onnx"), u.reason)
        }
        XCTAssertTrue(log.contains { $0.contains("onnxruntime fp32 [fused]: not available: Python package onnxruntime") },
                      log.joined(separator: "\n"))
    }
}
