import Benchmark
import Foundation
import XCTest

/// `FastestPeer`: which peer configuration is fastest per thread count and precision, the "ours vs fastest peer"
/// arithmetic, the summary table and the report's JSON fields.
final class FastestPeerTests: XCTestCase {
    func row(_ engine: String, _ scheme: String, _ t: Int, _ s: [Double], variant: String? = nil,
             precision: String? = nil) -> Benchmark.Row {
        Benchmark.Row(engine: engine, scheme: scheme, variant: variant, config: engine == "quantbench" ? nil : "\(engine)-\(variant ?? scheme)",
                      precision: precision, threads: t, seconds: s, cpuSeconds: s.map { $0 / 2 }, examples: 10)
    }

    var rows: [Benchmark.Row] {
        [
            row("quantbench", "fp32", 1, [4.0, 4.2, 3.8]),                                  // median 4
            row("quantbench", "pytorch-dynamic", 1, [2.0]),
            row("pytorch", "fp32", 1, [5.0], precision: "fp32"),
            row("pytorch", "quantize_dynamic", 1, [3.0, 3.2], variant: "x86", precision: "int8"),   // median 3.1
            row("pytorch", "quantize_dynamic", 1, [2.5], variant: "onednn", precision: "int8"),     // fastest int8 at 1
            row("onnxruntime", "quantize_dynamic", 1, [2.6], variant: "fused", precision: "int8"),
            row("onnxruntime", "fp32", 1, [4.5], variant: "fused", precision: "fp32"),              // fastest fp32 at 1
            row("quantbench", "fp32", 2, [2.0]),
            row("pytorch", "quantize_dynamic", 2, [1.6], variant: "x86", precision: "int8"),
            row("onnxruntime", "quantize_dynamic", 2, [1.6], variant: "plain", precision: "int8"),  // a tie: the first wins
            row("onnxruntime", "fp32", 2, [], variant: "plain", precision: "fp32"),                  // never timed: not a candidate
        ]
    }

    func testSelectsTheFastestPerThreadsAndPrecision() throws {
        let f = FastestPeer.select(rows)
        XCTAssertEqual(f.map { "\($0.threads) \($0.precision) \($0.peer)" }, [
            "1 int8 pytorch quantize_dynamic [onednn]", "1 fp32 onnxruntime fp32 [fused]",
            "2 int8 pytorch quantize_dynamic [x86]",
        ])
        XCTAssertEqual(f[0].config, "pytorch-onednn")
        XCTAssertEqual(f[0].ours, "pytorch-dynamic")
        XCTAssertEqual(f[0].medianSeconds, 2.5)
        XCTAssertEqual(f[0].msPerExample, 250, accuracy: 1e-9)
        XCTAssertEqual(f[0].ourMedianSeconds, 2.0)
        XCTAssertEqual(f[0].ourMsPerExample!, 200, accuracy: 1e-9)
        XCTAssertEqual(f[0].oursVsFastestPeer!, 2.5 / 2.0, accuracy: 1e-12)
        XCTAssertEqual(f[1].ours, "fp32")
        XCTAssertEqual(f[1].oursVsFastestPeer!, 4.5 / 4.0, accuracy: 1e-12)
        XCTAssertEqual(f[2].ours, "pytorch-dynamic")
        XCTAssertNil(f[2].ourMedianSeconds, "no pytorch-dynamic of ours at 2 threads")
        XCTAssertNil(f[2].oursVsFastestPeer)
    }

    /// Rows without a precision (older peers) fall into a group by scheme; our own rows never compete.
    func testPrecisionFromSchemeAndOursNeverCompete() {
        let f = FastestPeer.select([row("quantbench", "pytorch-dynamic", 1, [0.1]),
                                    row("pytorch", "quantize_dynamic", 1, [3]), row("pytorch", "fp32", 1, [4])])
        XCTAssertEqual(f.map(\.precision), ["int8", "fp32"])
        XCTAssertEqual(f[0].oursVsFastestPeer!, 30, accuracy: 1e-9)
        XCTAssertEqual(FastestPeer.select([row("quantbench", "fp32", 1, [1])]), [])
    }

    func testSummaryTableAndUnavailableLines() {
        let table = Benchmark.fastestPeerTable(FastestPeer.select(rows))
        XCTAssertTrue(table.contains("| 1 | int8 | pytorch quantize_dynamic [onednn] | 250.00 | pytorch-dynamic | 200.00 | 1.25× |"),
                      table)
        XCTAssertTrue(table.contains("| 2 | int8 | pytorch quantize_dynamic [x86] | 160.00 | pytorch-dynamic | — | — |"), table)
        XCTAssertEqual(Benchmark.fastestPeerTable([]), "")
        XCTAssertEqual(Benchmark.unavailableLines([PeerUnavailable(name: "ort-fp32-fused", engine: "onnxruntime", scheme: "fp32",
                                                                   variant: "fused", reason: "not available: no fusion")]),
                       ["onnxruntime fp32 [fused]: not available: no fusion"])
    }

    func testWarmthLine() {
        var rs = rows
        XCTAssertEqual(Benchmark.warmthLine(rs), "first timed pass / median: 0.97–1.00 over 2 rows (none above 1.10: warm)")
        rs[3].seconds = [4.0, 3.0, 3.2]  // first 4.0, median 3.2
        XCTAssertEqual(Benchmark.warmthLine(rs), "first timed pass / median: 1.00–1.25 over 2 rows; above 1.10: "
                       + "pytorch quantize_dynamic [x86] at 1 threads (1.25) — not warm or disturbed; raise --warmup or --repeats")
        XCTAssertNil(Benchmark.warmthLine([row("quantbench", "fp32", 1, [1.0])]), "one timed pass: nothing to say")
    }

    /// The report carries the fastest peers, warm-up seconds and first-pass ratios, the new step kinds and the
    /// peer's configurations and unavailable list.
    func testReportJSONFields() throws {
        let rs = rows
        let ready = try JSONDecoder().decode(PeerReady.self, from: Data("""
            {"tool": "qbench-peers", "protocol": 2, "event": "ready", "threads": 1, "examples": 10, "input_sha256": "ab",
             "versions": {"torch": "2.15.0"}, "torch": {"supported_quantized_engines": ["x86"], "cpu_capability": "AVX512"},
             "onnxruntime": {"fused_operators": {"Attention": 12}, "fusion_model_type": "bert"},
             "configs": [{"name": "pytorch-x86", "engine": "pytorch", "scheme": "quantize_dynamic", "variant": "x86",
                          "precision": "int8", "detail": "engine x86"}],
             "unavailable": [{"name": "q", "engine": "pytorch", "scheme": "quantize_dynamic", "variant": "qnnpack",
                              "reason": "not measured: ARM"}]}
            """.utf8))
        var withWarmup = rs
        withWarmup[3].warmupSeconds = [9.0]
        let report = BenchReport(
            model: "m", data: "d", examples: 10, batching: .init(batchSize: 8, maxSeqLength: 128, padToMax: true), repeats: 2,
            warmups: 1, threads: [1, 2], inputSHA256: "ab", blasCore: "Haswell", kernelFamily: "avx512vnni", bf16Kernel: "avx512bf16", cpu: "cpu", cpuFeatures: [],
            loadAverageStart: nil, loadAverageEnd: nil,
            order: BenchReport.order([.peerStart(threads: 1), .warmUp(variant: 0, threads: 1, round: 0),
                                      .peerWarmUp(config: "pytorch-x86", threads: 1, round: 0),
                                      .pass(variant: 0, threads: 1, round: 0), .peerPass(config: "pytorch-x86", threads: 1, round: 0),
                                      .peerStop(threads: 1)], names: ["fp32"]),
            rows: BenchReport.records(withWarmup), fastestPeers: FastestPeer.select(withWarmup),
            peer: BenchReport.PeerRecord(python: "py", script: "s.py", ready: ready, unavailable: ready.unavailable))
        let obj = try JSONSerialization.jsonObject(with: report.json()) as! [String: Any]
        XCTAssertEqual(obj["schema_version"] as? Int, 2)
        XCTAssertEqual(obj["warmups"] as? Int, 1)
        XCTAssertEqual(obj["kernel_family"] as? String, "avx512vnni")
        XCTAssertEqual(obj["bf16_kernel"] as? String, "avx512bf16")
        let order = (obj["order"] as! [[String: Any]]).map { s in
            "\(s["kind"]!) \(s["scheme"] ?? s["config"] ?? "-") \(s["round"] ?? "-")"
        }
        XCTAssertEqual(order, ["peer-start - -", "warm-up fp32 1", "peer-warm-up pytorch-x86 1", "pass fp32 1",
                               "peer-pass pytorch-x86 1", "peer-stop - -"])
        let rows = obj["rows"] as! [[String: Any]]
        XCTAssertEqual(rows[3]["variant"] as? String, "x86")
        XCTAssertEqual(rows[3]["config"] as? String, "pytorch-x86")
        XCTAssertEqual(rows[3]["precision"] as? String, "int8")
        XCTAssertEqual(rows[3]["warmup_seconds"] as? [Double], [9.0])
        XCTAssertEqual(rows[3]["first_pass_over_median"] as! Double, 3.0 / 3.1, accuracy: 1e-12)
        XCTAssertNil(rows[1]["first_pass_over_median"], "one timed pass: no ratio")
        XCTAssertEqual(rows[0]["first_pass_over_median"] as! Double, 1.0, accuracy: 1e-12)
        XCTAssertEqual(rows[3]["ours_faster_by"] as! Double, 3.1 / 2.0, accuracy: 1e-12)
        let fastest = obj["fastest_peers"] as! [[String: Any]]
        XCTAssertEqual(fastest.count, 3)
        XCTAssertEqual(fastest[0]["peer"] as? String, "pytorch quantize_dynamic [onednn]")
        XCTAssertEqual(fastest[0]["ours"] as? String, "pytorch-dynamic")
        XCTAssertEqual(fastest[0]["ours_vs_fastest_peer"] as! Double, 1.25, accuracy: 1e-12)
        XCTAssertEqual(fastest[1]["precision"] as? String, "fp32")
        XCTAssertNil(fastest[2]["ours_vs_fastest_peer"])
        let peer = obj["peer"] as! [String: Any]
        XCTAssertEqual(peer["protocol"] as? Int, 2)
        XCTAssertEqual((peer["configurations"] as? [[String: Any]])?.first?["detail"] as? String, "engine x86")
        XCTAssertEqual((peer["unavailable"] as? [[String: Any]])?.first?["reason"] as? String, "not measured: ARM")
        XCTAssertEqual(((peer["onnxruntime"] as? [String: Any])?["fused_operators"] as? [String: Int])?["Attention"], 12)
    }
}
