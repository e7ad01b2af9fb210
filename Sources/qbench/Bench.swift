import ArgumentParser
import Benchmark
import BERT
import Checkpoints
import Datasets
import Experiments
import Foundation
import TensorCore
import _Support

/// `qbench bench`: time schemes side by side (alternating A B A B, optionally with PyTorch and ONNX Runtime peers)
/// and print medians and ratios.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Time FP32 and quantized variants side by side on the same batches, optionally beside PyTorch "
            + "and ONNX Runtime (--peers); prints medians and ratios.",
        discussion: """
            For each thread count, every scheme runs one timed pass per round (A B A B …), then the peer process \
            (if --peers) runs its engines once at the same thread count; nothing runs concurrently. Medians of \
            wall seconds give the ratios: speed-up vs our fp32 = our fp32 median / row median; "ours faster by" \
            = peer median / our counterpart's median (fp32 ↔ fp32, quantize_dynamic ↔ pytorch-dynamic).
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
    @Option(help: "Use only the first N examples (0 = all).")
    var limit: Int = 0
    @OptionGroup var shape: BatchShapeArguments
    @Option(help: "Python interpreter with torch, transformers, onnxruntime and onnx: time PyTorch and ONNX Runtime on the same batches, alternating with ours (experiments/peers/README.md).")
    var peers: String?
    @Option(help: "The peer script.")
    var peerScript: String = "experiments/peers/qbench_peers.py"
    @Option(help: "Comma-separated peer engines: pytorch, onnxruntime.")
    var peerEngines: String = "pytorch,onnxruntime"
    @Option(help: "Where the peer caches its ONNX exports (default: ~/.cache/qbench-peers).")
    var peerCacheDir: String?
    @Option(help: "Write everything (set-up, order of steps, rows, ratios, peer versions) as JSON to this file.")
    var json: String?
    @OptionGroup var calibration: CalibrationOptions

    func validate() throws {
        guard repeats >= 1 else { throw ValidationError("--repeats must be at least 1") }
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
        return parts.map { $0! }
    }

    func run() throws {
        let loadStart = Benchmark.loadAverage()
        let threadCounts = try threadCounts()
        if let json { try AtomicFile.checkWritable(json) }
        let resolved = try schemes.map(SchemeResolver.resolve)
        let folder = try ModelFolder(path: model)
        try shape.check(maxPositionEmbeddings: folder.model.config.maxPositionEmbeddings)
        var dataset = try PairDataset.load(path: data, split: split)
        if limit > 0 { dataset = PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(limit))) }
        let options = shape.options(padToMaxByDefault: true)
        let batches = Evaluator.batches(Evaluator.encode(dataset, tokenizer: folder.tokenizer, maxLength: options.maxSeqLength),
                                        options: options, padId: Int32(folder.model.config.padTokenId))
        let digest = Benchmark.inputDigest(batches)

        // The peer first: a missing interpreter or package fails before any model is quantized or timed.
        var peer: PeerProcess?
        var peerInfo: PeerDocument?
        if let python = peers {
            var args = ["--model", folder.url.standardizedFileURL.path,
                        "--data", URL(fileURLWithPath: dataset.path).standardizedFileURL.path,
                        "--batch-size", "\(options.batchSize)", "--max-seq-length", "\(options.maxSeqLength)",
                        options.padToMax ? "--pad-to-max" : "--no-pad-to-max", "--engines", peerEngines]
            if limit > 0 { args += ["--limit", "\(limit)"] }
            if let peerCacheDir { args += ["--cache-dir", peerCacheDir] }
            let p = PeerProcess(python: python, script: try locatePeerScript(), arguments: args)
            peerInfo = try p.check()
            peer = p
        }

        var variants: [Benchmark.Variant] = []
        for s in resolved {
            let (m, used) = try folder.model(for: s) {
                try calibration.batches(folder: folder, options: options, defaultData: data)
            }
            variants.append(Benchmark.Variant(name: used.name, model: m))
        }
        let c = folder.model.config
        let cpu = CPUInfo.current
        print("model \(model): \(c.numHiddenLayers) layers × \(c.hiddenSize), \(dataset.count) examples, "
              + "batch \(options.batchSize), \(options.padToMax ? "padded to \(options.maxSeqLength)" : "padded to longest"), "
              + "\(repeats) repeats, threads \(threadCounts.map(String.init).joined(separator: ","))")
        print("CPU \(cpu.brand) (\(cpu.features.joined(separator: " "))), BLAS core \(BLASRuntime.coreName), "
              + "load average \(Self.format(loadStart)) at start")

        var peerDocs: [PeerDocument] = []
        let runPeer: ((Int, Int) throws -> [Benchmark.Row])? = peer.map { p in
            { t, _ in
                let doc = try p.run(threads: t, repeats: 1)
                if let n = doc.examples, n != dataset.count {
                    throw ExperimentError.invalid("the peer timed \(n) examples, we timed \(dataset.count)")
                }
                if let theirs = doc.inputSHA256, theirs != digest {
                    throw ExperimentError.invalid("the peer's inputs differ from ours (input sha256 \(theirs) vs "
                                                  + "\(digest)): different tokenization, order or padding")
                }
                if doc.inputSHA256 == nil && peerDocs.isEmpty {
                    FileHandle.standardError.write(Data("warning: the peer reports no input_sha256; cannot confirm it saw the same inputs\n".utf8))
                }
                peerDocs.append(doc)
                return doc.rows
            }
        }
        let session = try Benchmark.run(variants, batches: batches, labels: dataset.isLabelled ? dataset.labels : nil,
                                        threads: threadCounts, repeats: repeats, peer: runPeer) { msg in
            if isatty(2) != 0 { FileHandle.standardError.write(Data(("\r\u{1B}[K" + msg).utf8)) }
        }
        if isatty(2) != 0 { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let loadEnd = Benchmark.loadAverage()

        print("")
        print(Benchmark.table(session.rows))
        print("Wall-time medians; speed-up = our baseline median / row median; \"ours faster by\" = peer median / "
              + "median of our counterpart scheme (> 1: ours is faster). Load average \(Self.format(loadEnd)) at end.")
        let info = peerDocs.last ?? peerInfo
        if let info, let peers {
            let v = info.versions
            var line = "peers (\(peers)): torch \(v["torch"] ?? "?")"
            if let t = info.torch {
                line += " (quantized engine \(t.quantizedEngine ?? "?"), CPU capability \(t.cpuCapability ?? "?"), "
                    + "attention \(t.attnImplementation ?? "?"))"
            }
            line += ", transformers \(v["transformers"] ?? "?")"
            if let o = v["onnxruntime"] {
                line += ", onnxruntime \(o) (\((info.onnxruntime?.executionProviders ?? []).joined(separator: ", ")))"
            }
            print(line)
        }

        if let json {
            let report = BenchReport(
                model: model, data: dataset.path, examples: dataset.count, batching: options, repeats: repeats,
                threads: threadCounts, inputSHA256: digest, blasCore: BLASRuntime.coreName, cpu: cpu.brand,
                cpuFeatures: cpu.features, loadAverageStart: loadStart, loadAverageEnd: loadEnd,
                order: BenchReport.order(session.order, names: variants.map(\.name)),
                rows: BenchReport.records(session.rows),
                peer: info.map {
                    BenchReport.PeerRecord(python: peers!, script: peer!.script, versions: $0.versions, torch: $0.torch,
                                           onnxruntime: $0.onnxruntime, inputSHA256: peerDocs.first?.inputSHA256)
                })
            try AtomicFile.write(try report.json(), to: json)
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

    static func format(_ load: [Double]?) -> String {
        load.map { $0.map { String(format: "%.2f", $0) }.joined(separator: " ") } ?? "unknown"
    }
}
