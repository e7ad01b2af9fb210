import ArgumentParser
import Benchmark
import Experiments
import Foundation
import RunRecords
import TensorCore

/// `qbench bench`: time schemes side by side (alternating A B A B, optionally with warm PyTorch and ONNX Runtime
/// peers) and print medians, ratios and the fastest peer per thread count.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time FP32 and quantized variants side by side on the same batches, optionally beside PyTorch "
            + "and ONNX Runtime (--peers); prints medians and ratios.",
        discussion: """
            For each thread count, one long-lived peer process (if --peers) starts and stays warm; after --warmup \
            untimed rounds, each of --repeats rounds runs one timed pass of every scheme and then of every peer \
            configuration (A B P1 P2 … A B P1 P2 …), at the same thread count; nothing runs concurrently. Medians \
            of wall seconds give the ratios: speed-up vs our fp32 = our fp32 median / row median; "ours faster by" \
            = peer median / our counterpart's median (fp32 ↔ fp32, int8 ↔ pytorch-dynamic); "ours vs fastest \
            peer" = the fastest peer configuration's median / our counterpart's (docs/benchmarks.md).
            """)

    @Option(help: "Model folder (e.g. `qbench model init --preset bert-base` for BERT-base shape).")
    var model: String
    @Option(help: "TSV file or GLUE task folder.")
    var data: String = "data/glue/MRPC"
    @Option(help: "Split of a task folder.")
    var split: String = "dev"
    @Option(name: .customLong("scheme"), help: "Scheme to time (repeatable); ratios are vs fp32 (else the first).")
    var schemes: [String] = ["fp32", "pytorch-dynamic"]
    @Option(help: "Comma-separated thread counts.")
    var threads: String = "1,2"
    @Option(help: "Timed passes per variant and thread count (median reported).")
    var repeats: Int = 3
    @Option(help: "Untimed warm-up passes over all batches per variant and peer configuration, before the timed ones.")
    var warmup: Int = 1
    @Option(help: "Use only the first N examples (0 = all).")
    var limit: Int = 0
    @OptionGroup var shape: BatchShapeArguments
    @Option(help: "Python interpreter with torch, transformers, onnxruntime and onnx: time PyTorch and ONNX Runtime on the same batches, warm in one process per thread count, alternating with ours (experiments/peers/README.md).")
    var peers: String?
    @Option(help: "The peer script.")
    var peerScript: String = "experiments/peers/qbench_peers.py"
    @Option(help: "Comma-separated peer engines: pytorch, onnxruntime.")
    var peerEngines: String = "pytorch,onnxruntime"
    @Option(help: "Where the peer caches its ONNX exports (default: ~/.cache/qbench-peers).")
    var peerCacheDir: String?
    @Option(help: "Seconds any one wait for the peer may take before its process group is killed (default: 300 s for the check, 900 s for each start-up, 60 s + 2 s per example for each pass; also QBENCH_PEER_TIMEOUT).")
    var peerTimeout: Double?
    @Option(help: "Write everything (set-up, order of steps, rows, ratios, peer versions) as JSON to this file.")
    var json: String?
    @OptionGroup var calibration: CalibrationOptions
    @Option(help: "FP32 numerics to time: fast (OpenBLAS, the default here) or reproducible (qb_sgemm); run once with each to compare.")
    var numerics: NumericsMode = .fast

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
        guard warmup >= 0 else { throw ValidationError("--warmup must be 0 or more") }
        guard limit >= 0 else { throw ValidationError("--limit must be 0 (all) or positive") }
        _ = try threadCounts()
        let engines = peerEngines.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !engines.isEmpty, engines.allSatisfy(["pytorch", "onnxruntime"].contains) else {
            throw ValidationError("--peer-engines must be a comma-separated list of pytorch, onnxruntime; got \(peerEngines)")
        }
    }

    func threadCounts() throws -> [Int] {
        let parts = threads.split(separator: ",", omittingEmptySubsequences: false)
            .map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ ($0 ?? 0) >= 1 }) else {
            throw ValidationError("--threads must be a comma-separated list of positive integers, got \(threads)")
        }
        for n in parts.map({ $0! }) {
            if let problem = Limits.threadsProblem(n) { throw ValidationError("--threads \(problem)") }
        }
        return parts.map { $0! }
    }

    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        let peer = try peers.map {
            BenchRun.Peer(python: $0, script: try locatePeerScript(), engines: peerEngines, cacheDirectory: peerCacheDir,
                          timeout: peerTimeout)
        }
        var request = BenchRun.Request(
            model: model, data: data, split: split, schemes: try schemes.map(SchemeResolver.resolve),
            threads: try threadCounts(), repeats: repeats, warmups: warmup, limit: limit, batching: shape.options(padToMaxByDefault: true),
            calibration: .init(data: calibration.calibrationData ?? data, split: calibration.calibrationSplit,
                               examples: calibration.calibrationExamples),
            peer: peer, json: json)
        Numerics.setMode(numerics)
        request.allowNonFinite = nonFinite.allowNonFinite
        let tty = isatty(2) != 0
        try BenchRun.run(request, log: { print($0) }) { msg in
            if tty { FileHandle.standardError.write(Data(("\r\u{1B}[K" + msg).utf8)) }
        }
    }

    /// `--peer-script` as given, or (for the default) relative to the checkout holding `.build/<config>/qbench`.
    func locatePeerScript() throws -> String {
        if FileManager.default.isReadableFile(atPath: peerScript) { return peerScript }
        if !peerScript.hasPrefix("/") {
            let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
            let root = exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let candidate = root.appendingPathComponent(peerScript).path
            if FileManager.default.isReadableFile(atPath: candidate) { return candidate }
        }
        throw ValidationError("peer script \(peerScript) not found (run from the QuantBench checkout or pass --peer-script)")
    }
}
