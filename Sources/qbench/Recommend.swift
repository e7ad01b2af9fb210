import ArgumentParser
import Experiments
import Foundation
import RunRecords
import Sweep
import TensorCore
import _Support

/// `qbench recommend`: which layers of a scheme to keep in higher precision to stay within an accuracy budget.
struct Recommend: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Revert a scheme's most sensitive layers to FP32 (or fp16) until it is within an accuracy budget.",
        discussion: """
            Ranks the scheme's quantized layers (and its embedding tables, as `embeddings`) on a deciding split (a \
            seeded sample of --decide-split, without the calibration examples), reverts the most sensitive one per \
            step and re-evaluates, until metric(FP32) - metric <= --budget there; the reporting split \
            (--report-split) is evaluated at every step but decides nothing. Writes \
            <output>/recommend-<scheme>-<UTC timestamp>/ atomically: scheme.json (for `qbench eval --scheme`), \
            report.md, report.json, manifest.json. Exit status 2 when even every layer reverted misses the budget \
            (possible with --fallback fp16; the folder is written). See docs/recommend.md.
            """)

    @Option(help: "Hugging Face model folder (FP32).")
    var model: String
    @Option(help: "Quantization scheme to relax: a registered name or a JSON/YAML scheme file.")
    var scheme: String
    @Option(help: "Largest allowed loss of --metric against FP32 on the deciding split (e.g. 0.005).")
    var budget: Double
    @Option(help: "Metric of the budget: f1 or accuracy.")
    var metric: Recommendation.Metric = .f1
    @Option(help: "GLUE task folder (the deciding and reporting splits are files in it).")
    var data: String = "data/glue/MRPC"
    @Option(help: "Read the deciding split from this task folder or TSV instead of --data.")
    var decideData: String?
    @Option(help: "Split that decides (ranking and stopping).")
    var decideSplit: String = "train"
    @Option(help: "Examples in the seeded sample of the deciding split.")
    var decideExamples: Int = 400
    @Option(help: "Seed of the deciding sample.")
    var seed: UInt64 = 0
    @Option(help: "Split the numbers are reported on (never used for a decision).")
    var reportSplit: String = "dev"
    @Option(help: "Ranking: disable-only (the scheme with only that layer reverted) or logit-mse (only that layer quantized).")
    var ranking: Recommendation.Ranking = .disableOnly
    @Option(help: "What a reverted layer becomes: fp32 or fp16 (binary16 weights; embeddings revert to FP32).")
    var fallback: Recommendation.Fallback = .fp32
    @Option(help: "Write the recommendation folder under this folder.")
    var output: String = "runs"
    @Option(help: "Also write the recommended scheme to this file (.json, .yaml or .yml; JSON text, which the YAML reader reads too), for `qbench eval --scheme FILE`.")
    var out: String?
    @OptionGroup var batching: BatchingArguments
    @OptionGroup var calibration: CalibrationOptions
    @Option(help: "FP32 numerics: reproducible (default; same bits on every CPU and thread count) or fast.")
    var numerics: NumericsMode = .reproducible

    func run() throws {
        if let out {
            let lower = out.lowercased()
            guard [".json", ".yaml", ".yml"].contains(where: { lower.hasSuffix($0) }) else {
                throw ExperimentError.invalid("--out \(out): expected a scheme file name ending in .json, .yaml or .yml")
            }
            try AtomicFile.checkWritable(out)
        }
        var request = Recommender.Request(modelPath: model, scheme: try SchemeResolver.resolve(scheme), budget: budget,
                                          dataPath: data)
        request.metric = metric
        request.fallback = fallback
        request.ranking = ranking
        request.decideData = decideData
        request.decideSplit = decideSplit
        request.decideExamples = decideExamples
        request.seed = seed
        request.reportSplit = reportSplit
        request.calibrationData = calibration.calibrationData
        request.calibrationSplit = calibration.calibrationSplit
        request.calibrationExamples = calibration.calibrationExamples
        request.batching = batching.options
        request.threads = batching.threads
        request.numerics = numerics
        let bar = ProgressBar(label: "recommend")
        let (folder, r) = try RecommendationFolder.runAndWrite(request, output: output, command: CommandLine.arguments) {
            label, done, total in
            bar.label = label
            bar.update(done, total)
        }
        if let md = try? String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8) { print(md) }
        print("wrote \(folder.path)")
        if let out {
            try AtomicFile.write(Data(contentsOf: folder.appendingPathComponent("scheme.json")), to: out)
            print("wrote \(out)")
        }
        guard r.withinBudget else {
            FileHandle.standardError.write(Data(("qbench recommend: budget not met: \(r.metric.rawValue) loss "
                + String(format: "%.4f", r.final?.loss ?? .nan) + " > \(r.budget) with every unit reverted to "
                + "\(r.fallback.rawValue); report in \(folder.path)\n").utf8))
            throw ExitCode(2)
        }
    }
}
