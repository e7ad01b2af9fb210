import ArgumentParser
import Datasets
import Experiments
import Foundation
import RunRecords
import LayerStats
import TensorCore
import _Support

/// `qbench stats`: layer-wise error statistics of one or more schemes against FP32, written to one HDF5 file.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Layer-wise quantization error statistics (weights, outputs, hidden states, input ranges) to HDF5.",
        discussion: "Runs the FP32 model and each scheme's quantized model side by side on the same batches. "
            + "Layout of the output file: docs/hdf5-layout.md.")

    @Option(help: "FP32 Hugging Face model folder (config.json, model.safetensors or pytorch_model.bin, tokenizer.json or vocab.txt).")
    var model: String
    @Option(help: "A TSV file, or a GLUE task folder (then --split picks the file).")
    var data: String
    @Option(help: "Split of a task folder: train, dev or test.")
    var split: String = "dev"
    @Option(name: .customLong("scheme"), help: "Scheme to measure (repeatable): a registered name or a JSON/YAML file.")
    var schemes: [String] = []
    @Flag(help: "Also quantize one layer at a time and count prediction flips (one extra pass per layer).")
    var sensitivity = false
    @Option(help: "Use only the first N examples.")
    var limit: Int?
    @OptionGroup var batching: BatchingArguments
    @Option(help: "Bins of every histogram (a multiple of 4).")
    var bins: Int = Histogram.defaultBins
    @Option(help: "Rows of the worst-layers table per scheme.")
    var top: Int = 10
    @Option(help: "Outlier channels listed per tensor in /fp32/outliers (k).")
    var outlierTopK: Int = StatsOptions.defaultOutlierTopK
    @Option(help: "Rows with the largest |x| kept per channel to count token classes (N; memory ≈ 13 bytes · N · the summed width of all linear inputs and residual sums).")
    var outlierRows: Int = StatsOptions.defaultOutlierRows
    @Option(help: "Output HDF5 file (written atomically: nothing appears here unless the run succeeds).")
    var out: String
    @OptionGroup var calibration: CalibrationOptions
    @Option(help: "FP32 numerics: reproducible (same bits on every CPU and thread count) or fast (OpenBLAS).")
    var numerics: NumericsMode = .reproducible
    @OptionGroup var nonFinite: NonFiniteOption

    func validate() throws {
        guard !schemes.isEmpty else { throw ValidationError("give at least one --scheme") }
        guard Set(schemes).count == schemes.count else { throw ValidationError("a --scheme is given twice") }
        guard bins >= 4, bins % 4 == 0 else { throw ValidationError("--bins must be a positive multiple of 4") }
        guard bins <= Limits.maxHistogramBins else {
            throw ValidationError("--bins \(bins) exceeds the maximum \(Limits.maxHistogramBins)")
        }
        if let limit { guard limit >= 1 else { throw ValidationError("--limit must be at least 1") } }
        guard outlierTopK >= 1, outlierTopK <= 4096 else { throw ValidationError("--outlier-top-k must be 1…4096") }
        guard outlierRows >= 1, outlierRows <= 4096 else { throw ValidationError("--outlier-rows must be 1…4096") }
    }

    func run() throws {
        try AtomicFile.checkWritable(out)      // before any work
        var isDir: ObjCBool = false
        if FileManager.default.fileExists(atPath: out, isDirectory: &isDir), isDir.boolValue {
            throw ValidationError("--out \(out) is a directory; give a file path such as \(out)/run.h5")
        }
        Parallel.setThreads(batching.threads)
        Numerics.setMode(numerics)
        let modelSchemes = try schemes.map(SchemeResolver.resolve)
        let names = modelSchemes.map { StatsReport.groupName($0.name) }
        guard Set(names).count == names.count else {
            throw ValidationError("two --scheme values have the same name: \(names.joined(separator: ", "))")
        }
        let folder = try ModelFolder(path: model, allowNonFinite: nonFinite.allowNonFinite)
        try folder.checkBinaryClassifier()
        if let stored = folder.storedScheme {
            throw ValidationError("\(model) is already quantized (\(stored.name)); statistics compare against FP32: "
                                  + "give the FP32 model folder")
        }
        try batching.check(maxPositionEmbeddings: folder.model.config.maxSequenceLength)
        var dataset = try PairDataset.load(path: data, split: split)
        if let limit { dataset = PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(limit))) }
        let provenance = try StatsProvenance.collect(
            modelFolder: model, dataFile: dataset.path, version: QBench.configuration.version,
            command: (["qbench"] + CommandLine.arguments.dropFirst()).joined(separator: " "))
        let options = batching.options
        let batches = Evaluator.batches(Evaluator.encode(dataset, tokenizer: folder.tokenizer, maxLength: batching.maxSeqLength),
                                        options: options, padId: Int32(folder.model.config.padTokenId))
        var bar: ProgressBar?
        var phase = ""
        let report: StatsReport
        do {
            report = try StatsRun.run(
                model: folder.model, schemes: modelSchemes, batches: batches, labels: dataset.isLabelled ? dataset.labels : nil,
                options: StatsOptions(sensitivity: sensitivity, bins: bins, batching: options,
                                      allowNonFinite: nonFinite.allowNonFinite, outlierTopK: outlierTopK,
                                      outlierRows: outlierRows),
                tokenClasses: folder.tokenClassifier,
                calibration: { try calibration.batches(folder: folder, options: options, defaultData: data) },
                progress: { label, done, total in
                    if label != phase { phase = label; bar = ProgressBar(label: label) }
                    bar?.update(done, total)
                })
        } catch let ExperimentError.nonFiniteOutput(nil, example, _, value) {
            throw Evaluator.nonFinite(example: example, value: value, data: dataset)   // name the data file and line
        }
        try report.write(to: out, provenance: provenance)
        print(Stats.table(report, top: top))
        print(String(format: "wrote %@ (%d examples, %d scheme(s), %.1f s)", out, report.examples, report.schemes.count,
                     report.seconds))
    }

    /// The worst layers by output SQNR and the hidden-state SQNR by depth, per scheme.
    static func table(_ r: StatsReport, top: Int) -> String {
        func db(_ x: Double) -> String { x.isNaN ? "-" : (x.isInfinite ? (x > 0 ? "inf" : "-inf") : String(format: "%.2f", x)) }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        func lpad(_ s: String, _ n: Int) -> String { s.count >= n ? s : String(repeating: " ", count: n - s.count) + s }
        var lines: [String] = []
        if let m = r.fp32Metrics { lines.append(String(format: "fp32: F1 %.4f  accuracy %.4f", m.f1, m.accuracy)) }
        let residuals = r.fp32Outliers.filter { $0.kind == .residualSum }
        if !residuals.isEmpty {
            lines.append("")
            lines.append("fp32 outlier channels of the residual sums (strongest channel; |x|max vs median channel; "
                         + "classes of its \(r.options.outlierRows) largest |x|):")
            for t in residuals {
                let s = t.statistics.summary(topK: 1)
                guard let j = s.topChannels.first else { continue }
                let counts = s.topClassCounts[0], kept = max(1, counts.reduce(0, +))
                let shares = TokenClass.allCases.filter { counts[$0.rawValue] > 0 }
                    .map { "\($0.name) \(Int((100 * Double(counts[$0.rawValue]) / Double(kept)).rounded()))%" }
                lines.append("  " + pad(t.name, 42) + String(format: " dim %4d  %8.2f vs %6.3f (x%.1f), %d over %.0fx median; ",
                                                             j, s.topAbsMax[0], s.medianAbsMax, s.topRatioToMedian[0],
                                                             s.outlierChannels, s.factor)
                             + shares.joined(separator: ", "))
            }
        }
        for s in r.schemes {
            var head = "\(s.scheme.name): \(s.flips)/\(s.predictions.count) predictions flip vs FP32, logits SQNR \(db(s.logits.sqnrDB)) dB"
            if let m = s.metrics { head += String(format: ", F1 %.4f, accuracy %.4f", m.f1, m.accuracy) }
            lines.append("")
            lines.append(head)
            let sens = r.options.sensitivity
            lines.append("  " + pad("layer", 42) + lpad("out SQNR", 10) + lpad("w SQNR", 9) + lpad("cosine", 10)
                         + lpad("in |x|p99.99", 14) + lpad("in clip%", 10) + (sens ? lpad("flips", 7) : ""))
            for l in s.worstLayers(top) {
                let m = l.output.metrics
                let clip = l.input.fractionClipped
                lines.append("  " + pad(l.name, 42) + lpad(db(m.sqnrDB), 10) + lpad(db(l.weight?.metrics.sqnrDB ?? .nan), 9)
                             + lpad(String(format: "%.6f", m.cosine), 10)
                             + lpad(String(format: "%.3f", l.input.reportedPercentiles[2]), 14)
                             + lpad(clip.isNaN ? "-" : String(format: "%.4f", 100 * clip), 10)
                             + (sens ? lpad(l.sensitivityFlips.map(String.init) ?? "-", 7) : ""))
            }
            let depth = zip(s.hiddenNames, s.hiddenStates).map { name, c in
                "\(name.replacingOccurrences(of: "encoder.layer.", with: "L")) \(db(c.metrics.sqnrDB))"
            }
            lines.append("  hidden-state SQNR dB by depth: " + depth.joined(separator: ", "))
        }
        return lines.joined(separator: "\n")
    }
}
