import _TestSupport
import Benchmark
import BERT
import Experiments
import Foundation
import XCTest
import _Support

/// `Benchmark` and `PeerDocument`: alternation order, median and ratio arithmetic, the peer JSON contract and the
/// input digest shared with `experiments/peers/qbench_peers.py`. Nothing here asserts on timings.
final class BenchmarkTests: XCTestCase {
    // MARK: alternation

    func testScheduleAlternatesVariantsThenPeerPerRoundAndThreadCount() {
        let steps = Benchmark.schedule(variants: 2, threads: [1, 2], repeats: 2, peer: true)
        var want: [Benchmark.Step] = []
        for t in [1, 2] {
            want += [.warmUp(variant: 0, threads: t), .warmUp(variant: 1, threads: t)]
            for r in 0..<2 {
                want += [.pass(variant: 0, threads: t, round: r), .pass(variant: 1, threads: t, round: r),
                         .peer(threads: t, round: r)]
            }
        }
        XCTAssertEqual(steps, want)
        XCTAssertFalse(Benchmark.schedule(variants: 3, threads: [1], repeats: 3, peer: false).contains {
            if case .peer = $0 { return true } else { return false }
        })
        XCTAssertEqual(Benchmark.schedule(variants: 3, threads: [4], repeats: 2, peer: false).map(\.description), [
            "warm-up variant 0, 4 threads", "warm-up variant 1, 4 threads", "warm-up variant 2, 4 threads",
            "variant 0, 4 threads, round 1", "variant 1, 4 threads, round 1", "variant 2, 4 threads, round 1",
            "variant 0, 4 threads, round 2", "variant 1, 4 threads, round 2", "variant 2, 4 threads, round 2",
        ])
    }

    /// The real loop on the tiny model follows the schedule: the progress messages (one before each step) and the
    /// peer calls interleave as A B peer A B peer, and peer rows from each round merge into one row.
    func testRunExecutesTheScheduleAndMergesPeerRounds() throws {
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        let batches = [BertBatch(sequences: [([101, 20, 102], [0, 0, 0]), ([101, 21, 22, 102], [0, 0, 1, 1])],
                                 padTo: 8),
                       BertBatch(sequences: [([101, 23, 102], [0, 0, 0])], padTo: 8)]
        let variants = [Benchmark.Variant(name: "a", model: folder.model), Benchmark.Variant(name: "b", model: folder.model)]
        var log: [String] = []
        var peerSeconds = 10.0
        let session = try Benchmark.run(variants, batches: batches, labels: [1, 0, 1], threads: [1, 2], repeats: 2,
                                        peer: { t, r in
                                            log.append("PEER t\(t) r\(r + 1)")
                                            peerSeconds += 1
                                            return [Benchmark.Row(engine: "pytorch", scheme: "fp32", threads: t,
                                                                  seconds: [peerSeconds], cpuSeconds: [1], examples: 3,
                                                                  predictions: [1, 1, 1])]
                                        }, progress: { log.append($0) })
        XCTAssertEqual(log, [
            "threads 1: warm-up a", "threads 1: warm-up b",
            "threads 1, round 1/2: a", "threads 1, round 1/2: b", "threads 1, round 1/2: peers", "PEER t1 r1",
            "threads 1, round 2/2: a", "threads 1, round 2/2: b", "threads 1, round 2/2: peers", "PEER t1 r2",
            "threads 2: warm-up a", "threads 2: warm-up b",
            "threads 2, round 1/2: a", "threads 2, round 1/2: b", "threads 2, round 1/2: peers", "PEER t2 r1",
            "threads 2, round 2/2: a", "threads 2, round 2/2: b", "threads 2, round 2/2: peers", "PEER t2 r2",
        ])
        XCTAssertEqual(session.order, Benchmark.schedule(variants: 2, threads: [1, 2], repeats: 2, peer: true))
        XCTAssertEqual(session.rows.map { "\($0.engine) \($0.scheme) \($0.threads)" }, [
            "quantbench a 1", "quantbench b 1", "pytorch fp32 1", "quantbench a 2", "quantbench b 2", "pytorch fp32 2",
        ])
        for row in session.rows {
            XCTAssertEqual(row.seconds.count, 2, "\(row.engine) \(row.scheme)")
            XCTAssertEqual(row.cpuSeconds.count, 2)
            XCTAssertEqual(row.predictions?.count, 3)
            XCTAssertEqual(row.examples, 3)
        }
        XCTAssertEqual(session.rows[2].seconds, [11, 12])
        XCTAssertEqual(session.rows[5].seconds, [13, 14])
        XCTAssertNotNil(session.rows[0].f1)
        XCTAssertEqual(session.rows[0].predictions, session.rows[1].predictions, "same model, same predictions")
    }

    // MARK: arithmetic

    func testRatios() {
        func row(_ engine: String, _ scheme: String, _ t: Int, _ s: [Double], cpu: [Double] = [1], preds: [Int]? = nil)
            -> Benchmark.Row {
            Benchmark.Row(engine: engine, scheme: scheme, threads: t, seconds: s, cpuSeconds: cpu, examples: 8,
                          predictions: preds)
        }
        let rows = [
            row("quantbench", "fp32", 1, [4, 3, 5], cpu: [4], preds: [0, 1, 1, 0]),    // median 4
            row("quantbench", "pytorch-dynamic", 1, [2, 2.5], cpu: [2]),                // median 2.25
            row("pytorch", "fp32", 1, [6], cpu: [5], preds: [0, 1, 0, 0]),
            row("pytorch", "quantize_dynamic", 1, [3]),
            row("onnxruntime", "quantize_dynamic", 1, [1.8]),
            row("pytorch", "fp32", 2, [3]),                                             // no ours at 2 threads
        ]
        let ours = Benchmark.ratios(of: rows[1], in: rows)
        XCTAssertEqual(ours.speedupVsOurBaseline!, 4 / 2.25, accuracy: 1e-12)
        XCTAssertEqual(ours.cpuSpeedupVsOurBaseline!, 2, accuracy: 1e-12)
        XCTAssertNil(ours.oursFasterBy, "only peer rows compare with a counterpart")

        let torchFP32 = Benchmark.ratios(of: rows[2], in: rows)
        XCTAssertEqual(torchFP32.ourCounterpart, "fp32")
        XCTAssertEqual(torchFP32.oursFasterBy!, 6.0 / 4.0, accuracy: 1e-12)
        XCTAssertEqual(torchFP32.speedupVsOurBaseline!, 4.0 / 6.0, accuracy: 1e-12)
        XCTAssertEqual(torchFP32.cpuSpeedupVsOurBaseline!, 4.0 / 5.0, accuracy: 1e-12)
        XCTAssertEqual(torchFP32.flipsVsOurBaseline, 1)

        let torchQD = Benchmark.ratios(of: rows[3], in: rows)
        XCTAssertEqual(torchQD.ourCounterpart, "pytorch-dynamic")
        XCTAssertEqual(torchQD.oursFasterBy!, 3 / 2.25, accuracy: 1e-12)
        XCTAssertNil(torchQD.flipsVsOurBaseline, "no predictions")

        let ortQD = Benchmark.ratios(of: rows[4], in: rows)
        XCTAssertEqual(ortQD.oursFasterBy!, 1.8 / 2.25, accuracy: 1e-12)

        let alone = Benchmark.ratios(of: rows[5], in: rows)
        XCTAssertNil(alone.speedupVsOurBaseline)
        XCTAssertNil(alone.oursFasterBy)

        XCTAssertEqual(rows[0].msPerExample, 500, accuracy: 1e-9)
        let table = Benchmark.table(rows)
        XCTAssertTrue(table.contains("| pytorch | quantize_dynamic | 1 | 3.000 | 375.00 | 1.33× | 1.33× (pytorch-dynamic) |"),
                      table)
        XCTAssertTrue(table.contains("| quantbench | pytorch-dynamic | 1 | 2.250 | 281.25 | 1.78× | — |"), table)
    }

    /// Without an fp32 row the first of our rows is the baseline.
    func testBaselineFallsBackToFirstScheme() {
        let rows = [Benchmark.Row(engine: "quantbench", scheme: "fp16", threads: 1, seconds: [2], cpuSeconds: [2], examples: 1),
                    Benchmark.Row(engine: "quantbench", scheme: "int4-per-group", threads: 1, seconds: [1], cpuSeconds: [1],
                                  examples: 1)]
        XCTAssertEqual(Benchmark.baseline(rows, threads: 1)?.scheme, "fp16")
        XCTAssertEqual(Benchmark.ratios(of: rows[1], in: rows).speedupVsOurBaseline, 2)
        XCTAssertTrue(Benchmark.table(rows).contains("speed-up vs our fp16"))
    }

    // MARK: peer document

    static let canned = """
        {"schema_version": 1, "tool": "qbench-peers", "examples": 3, "input_sha256": "ab12",
         "versions": {"torch": "2.15.0", "onnxruntime": "1.32.0", "transformers": "5.24.0"},
         "torch": {"quantized_engine": "x86", "cpu_capability": "AVX2", "attn_implementation": "sdpa"},
         "onnxruntime": {"execution_providers": ["CPUExecutionProvider"], "opset": 17},
         "results": [
          {"engine": "pytorch", "scheme": "fp32", "threads": 2, "examples": 3, "seconds": [1.5, 1.25],
           "cpu_seconds": [3.0, 2.5], "median_seconds": 1.375, "f1": 0.5, "accuracy": 0.66, "model_mb": 90.9,
           "predictions": [1, 0, 1], "flips_vs_first": 0, "unknown_extra_key": true},
          {"engine": "onnxruntime", "scheme": "quantize_dynamic", "threads": 2, "examples": 3, "seconds": [0.5],
           "f1": null, "accuracy": null}
         ]}
        """

    func testParsesPeerDocument() throws {
        let doc = try PeerDocument.parse(Data(Self.canned.utf8), source: "fake")
        XCTAssertEqual(doc.examples, 3)
        XCTAssertEqual(doc.inputSHA256, "ab12")
        XCTAssertEqual(doc.versions["torch"], "2.15.0")
        XCTAssertEqual(doc.torch?.quantizedEngine, "x86")
        XCTAssertEqual(doc.torch?.cpuCapability, "AVX2")
        XCTAssertEqual(doc.onnxruntime?.executionProviders, ["CPUExecutionProvider"])
        let rows = doc.rows
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0], Benchmark.Row(engine: "pytorch", scheme: "fp32", threads: 2, seconds: [1.5, 1.25],
                                              cpuSeconds: [3.0, 2.5], examples: 3, modelMB: 90.9,
                                              predictions: [1, 0, 1], f1: 0.5, accuracy: 0.66))
        XCTAssertEqual(rows[0].median, 1.375, "median recomputed from seconds, not taken from the peer")
        XCTAssertEqual(rows[1].cpuSeconds, [])
        XCTAssertNil(rows[1].f1)
    }

    func testRejectsBadPeerDocuments() {
        func message(_ text: String) -> String {
            do {
                _ = try PeerDocument.parse(Data(text.utf8), source: "peer x")
                return "parsed"
            } catch {
                return "\(error)"
            }
        }
        XCTAssertTrue(message("").contains("peer x did not print a peer JSON document"), message(""))
        XCTAssertTrue(message("Traceback (most recent call last)").contains("began: Traceback"))
        XCTAssertTrue(message(#"{"schema_version": 1, "tool": "qbench-peers"}"#).contains("key versions: required key is missing"),
                      message(#"{"schema_version": 1, "tool": "qbench-peers"}"#))
        let v2 = #"{"schema_version": 2, "tool": "qbench-peers", "versions": {}}"#
        XCTAssertTrue(message(v2).contains("schema_version 2"), message(v2))
        let badSeconds = Self.canned.replacingOccurrences(of: "[1.5, 1.25]", with: "\"fast\"")
        XCTAssertTrue(message(badSeconds).contains("key results[0].seconds: expected"), message(badSeconds))
    }

    // MARK: inputs

    /// Golden from Python: hashlib.sha256 over struct.pack('<8i', …) of ids, types, mask (the peer's digest).
    func testInputDigestMatchesPeerDefinition() {
        let b = BertBatch(sequences: [([101, 7592, 102], [0, 0, 0]), ([101, 2, 102], [0, 0, 1])], padTo: 4)
        XCTAssertEqual(Benchmark.inputDigest([b]), "0bffd14dc38758baea2e96cd3895f4818a859969a0c3092184f15f749d200159")
        let longer = BertBatch(sequences: [([101, 7592, 102], [0, 0, 0]), ([101, 2, 102], [0, 0, 1])], padTo: 5)
        XCTAssertNotEqual(Benchmark.inputDigest([longer]), Benchmark.inputDigest([b]), "padding is part of the digest")
    }
}
