import Benchmark
import Foundation
import XCTest

/// The protocol's JSON lines as qbench decodes them: required keys named in errors, one-line messages.
final class PeerMessagesTests: XCTestCase {
    func message(_ text: String) -> String {
        do {
            _ = try PeerProtocol.decode(PeerPassReply.self, Data(text.utf8), source: "peer x", waitingFor: "`run a 1`")
            return "parsed"
        } catch {
            return "\(error)"
        }
    }

    func testPassReplyErrorsNameTheKey() {
        XCTAssertTrue(message("").contains("peer x did not answer `run a 1` with a qbench-peers JSON line"), message(""))
        XCTAssertTrue(message("").contains("its line began: (nothing)"), message(""))
        let missing = #"{"event": "pass", "config": "a", "pass": 1, "seconds": 1.0, "cpu_seconds": 1.0}"#
        XCTAssertTrue(message(missing).contains("key input_sha256: required key is missing"), message(missing))
        let wrong = #"{"event": "pass", "config": "a", "pass": 1, "seconds": "fast", "cpu_seconds": 1, "input_sha256": "x"}"#
        XCTAssertTrue(message(wrong).contains("key seconds: expected"), message(wrong))
        let escaped = message("line one\nline two\u{1B}[31m")
        XCTAssertTrue(escaped.contains("began: line one\\nline two\\u{1B}[31m"), escaped)
        XCTAssertEqual(escaped.split(separator: "\n").count, 1)
        XCTAssertEqual(PeerProtocol.command(config: "ort-fp32", number: 3, warmUp: false), "run ort-fp32 3")
        XCTAssertEqual(PeerProtocol.command(config: "ort-fp32", number: 1, warmUp: true), "warmup ort-fp32 1")
    }

    func testReadyLineDecodes() throws {
        let line = #"""
            {"tool": "qbench-peers", "protocol": 2, "event": "ready", "threads": 2, "examples": 3, "input_sha256": "ab",
             "model_type": "roberta", "versions": {"torch": "2.15.0"}, "extra_key_from_a_newer_peer": 1,
             "configs": [{"name": "ort-dynamic-fused", "engine": "onnxruntime", "scheme": "quantize_dynamic",
                          "variant": "fused", "precision": "int8", "model_mb": 27.5}],
             "unavailable": []}
            """#
        let r = try PeerProtocol.decode(PeerReady.self, Data(line.utf8), source: "peer x", waitingFor: "the ready line")
        XCTAssertEqual(r.modelType, "roberta")
        XCTAssertEqual(r.configs, [PeerConfiguration(name: "ort-dynamic-fused", engine: "onnxruntime", scheme: "quantize_dynamic",
                                                     variant: "fused", precision: "int8", modelMB: 27.5)])
        XCTAssertEqual(r.configs[0].displayName, "onnxruntime quantize_dynamic [fused]")
        XCTAssertNil(r.torch)
    }
}
