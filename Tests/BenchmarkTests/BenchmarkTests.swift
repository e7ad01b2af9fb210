import _TestSupport
import Benchmark
import BERT
import Experiments
import Foundation
import XCTest
import _Support

/// `Benchmark`: the schedule and the loop that follows it (with a peer written in Swift), median and ratio
/// arithmetic, the table, and the input digest shared with `experiments/peers/qbench_peers.py`. Nothing here
/// asserts on timings.
final class BenchmarkTests: XCTestCase {
    // MARK: alternation

    func testScheduleWarmsUpThenAlternatesOursAndEachPeerConfiguration() {
        let steps = Benchmark.schedule(variants: 2, peerConfigs: ["p", "q"], threads: 2, repeats: 2, warmups: 1)
        var want: [Benchmark.Step] = [.peerStart(threads: 2), .warmUp(variant: 0, threads: 2, round: 0),
                                      .warmUp(variant: 1, threads: 2, round: 0),
                                      .peerWarmUp(config: "p", threads: 2, round: 0), .peerWarmUp(config: "q", threads: 2, round: 0)]
        for r in 0..<2 {
            want += [.pass(variant: 0, threads: 2, round: r), .pass(variant: 1, threads: 2, round: r),
                     .peerPass(config: "p", threads: 2, round: r), .peerPass(config: "q", threads: 2, round: r)]
        }
        want.append(.peerStop(threads: 2))
        XCTAssertEqual(steps, want)
        XCTAssertEqual(Benchmark.schedule(variants: 2, peerConfigs: nil, threads: 4, repeats: 1, warmups: 2).map(\.description), [
            "warm-up 1 variant 0, 4 threads", "warm-up 1 variant 1, 4 threads",
            "warm-up 2 variant 0, 4 threads", "warm-up 2 variant 1, 4 threads",
            "variant 0, 4 threads, round 1", "variant 1, 4 threads, round 1",
        ])
        XCTAssertEqual(Benchmark.schedule(variants: 1, peerConfigs: [], threads: 1, repeats: 1, warmups: 0),
                       [.peerStart(threads: 1), .pass(variant: 0, threads: 1, round: 0), .peerStop(threads: 1)])
    }

    /// A peer in Swift, recording what it is asked; its seconds are 10 + the pass number.
    final class RecordingPeer: BenchPeer {
        let threads: Int
        var calls: [String]
        var stopped = false
        init(threads: Int, log: [String]) { self.threads = threads; self.calls = log }
        let configurations = [PeerConfiguration(name: "torch-int8", engine: "pytorch", scheme: "quantize_dynamic",
                                                variant: "x86", precision: "int8")]
        let unavailable = [PeerUnavailable(name: "ort-fp32", engine: "onnxruntime", scheme: "fp32", variant: "plain",
                                           reason: "not available: no onnxruntime")]
        func pass(_ config: String, number: Int, warmUp: Bool) throws -> PeerPassReply {
            calls.append("\(warmUp ? "warmup" : "run") \(config) \(number) t\(threads)")
            return PeerPassReply(event: warmUp ? "warmup" : "pass", config: config, pass: number,
                                 seconds: 10 + Double(number), cpuSeconds: 1, inputSHA256: "x", predictions: [1, 1, 1])
        }
        func stop() throws { stopped = true; calls.append("stop t\(threads)") }
    }

    /// The real loop on the tiny model follows the schedule: progress messages (one before each step) and the peer
    /// calls interleave as warm-ups, then A B peer A B peer, with one peer started and stopped per thread count.
    func testRunExecutesTheScheduleWithOnePeerPerThreadCount() throws {
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        let batches = [BertBatch(sequences: [([101, 20, 102], [0, 0, 0]), ([101, 21, 22, 102], [0, 0, 1, 1])],
                                 padTo: 8),
                       BertBatch(sequences: [([101, 23, 102], [0, 0, 0])], padTo: 8)]
        let variants = [Benchmark.Variant(name: "a", model: folder.model), Benchmark.Variant(name: "b", model: folder.model)]
        var log: [String] = []
        var peers: [RecordingPeer] = []
        let session = try Benchmark.run(variants, batches: batches, labels: [1, 0, 1], threads: [1, 2], repeats: 2,
                                        warmups: 1, peer: { t in
                                            log.append("START t\(t)")
                                            let p = RecordingPeer(threads: t, log: [])
                                            peers.append(p)
                                            return p
                                        }, progress: { log.append($0) })
        XCTAssertEqual(log, [
            "threads 1: starting the peers", "START t1", "threads 1: warm-up 1/1 a", "threads 1: warm-up 1/1 b",
            "threads 1: warm-up 1/1 peer torch-int8",
            "threads 1, round 1/2: a", "threads 1, round 1/2: b", "threads 1, round 1/2: peer torch-int8",
            "threads 1, round 2/2: a", "threads 1, round 2/2: b", "threads 1, round 2/2: peer torch-int8",
            "threads 1: stopping the peers",
            "threads 2: starting the peers", "START t2", "threads 2: warm-up 1/1 a", "threads 2: warm-up 1/1 b",
            "threads 2: warm-up 1/1 peer torch-int8",
            "threads 2, round 1/2: a", "threads 2, round 1/2: b", "threads 2, round 1/2: peer torch-int8",
            "threads 2, round 2/2: a", "threads 2, round 2/2: b", "threads 2, round 2/2: peer torch-int8",
            "threads 2: stopping the peers",
        ])
        XCTAssertEqual(peers.map(\.calls), [1, 2].map { t in
            ["warmup torch-int8 1 t\(t)", "run torch-int8 1 t\(t)", "run torch-int8 2 t\(t)", "stop t\(t)"]
        })
        XCTAssertEqual(session.rows.map { "\($0.engine) \($0.displayScheme) \($0.threads)" }, [
            "quantbench a 1", "quantbench b 1", "pytorch quantize_dynamic [x86] 1",
            "quantbench a 2", "quantbench b 2", "pytorch quantize_dynamic [x86] 2",
        ])
        for row in session.rows {
            XCTAssertEqual(row.seconds.count, 2, "\(row.engine) \(row.scheme)")
            XCTAssertEqual(row.cpuSeconds.count, 2)
            XCTAssertEqual(row.warmupSeconds.count, 1)
            XCTAssertEqual(row.predictions?.count, 3)
            XCTAssertEqual(row.examples, 3)
        }
        XCTAssertEqual(session.rows[2].seconds, [11, 12])
        XCTAssertEqual(session.rows[2].warmupSeconds, [11])
        XCTAssertEqual(session.rows[2].firstPassOverMedian!, 11 / 11.5, accuracy: 1e-12)
        XCTAssertEqual(session.unavailable.map(\.name), ["ort-fp32"])
        XCTAssertNotNil(session.rows[0].f1)
        XCTAssertEqual(session.rows[0].predictions, session.rows[1].predictions, "same model, same predictions")
    }

    /// A failing peer pass ends the session with its error; the peer is not asked anything further.
    func testRunStopsAtAPeerError() throws {
        final class FailingPeer: BenchPeer {
            var asked = 0
            let configurations = [PeerConfiguration(name: "c", engine: "pytorch", scheme: "fp32", precision: "fp32")]
            let unavailable: [PeerUnavailable] = []
            func pass(_ config: String, number: Int, warmUp: Bool) throws -> PeerPassReply {
                asked += 1
                throw ExperimentError.invalid("peer fell over")
            }
            func stop() throws { XCTFail("stop after a failure") }
        }
        let folder = try ModelFolder(path: Fixtures.tinyBert.path)
        let batches = [BertBatch(sequences: [([101, 20, 102], [0, 0, 0])], padTo: 8)]
        let peer = FailingPeer()
        XCTAssertThrowsError(try Benchmark.run([Benchmark.Variant(name: "a", model: folder.model)], batches: batches,
                                               labels: nil, threads: [1, 2], repeats: 1, peer: { _ in peer })) {
            XCTAssertTrue("\($0)".contains("peer fell over"), "\($0)")
        }
        XCTAssertEqual(peer.asked, 1)
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
        XCTAssertTrue(table.contains("| pytorch | quantize_dynamic | 1 | 3.000 | 375.00 | — | 1.33× | 1.33× (pytorch-dynamic) |"),
                      table)
        XCTAssertTrue(table.contains("| quantbench | pytorch-dynamic | 1 | 2.250 | 281.25 | 0.89 | 1.78× | — |"), table)
        XCTAssertTrue(table.contains("| quantbench | fp32 | 1 | 4.000 | 500.00 | 1.00 | 1.00× |"), table)
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

    // MARK: inputs

    /// Golden from Python: hashlib.sha256 over struct.pack('<8i', …) of ids, types, mask (the peer's digest).
    func testInputDigestMatchesPeerDefinition() {
        let b = BertBatch(sequences: [([101, 7592, 102], [0, 0, 0]), ([101, 2, 102], [0, 0, 1])], padTo: 4)
        XCTAssertEqual(Benchmark.inputDigest([b]), "0bffd14dc38758baea2e96cd3895f4818a859969a0c3092184f15f749d200159")
        let longer = BertBatch(sequences: [([101, 7592, 102], [0, 0, 0]), ([101, 2, 102], [0, 0, 1])], padTo: 5)
        XCTAssertNotEqual(Benchmark.inputDigest([longer]), Benchmark.inputDigest([b]), "padding is part of the digest")
    }
}
