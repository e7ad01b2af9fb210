import BERT
import Checkpoints
import Datasets
import Foundation
import _Support
import Quantization
import TensorCore

/// Runs an `Experiment`: the FP32 baseline and every scheme, at every thread count, `repeats` times.
///
/// For each thread count the schemes run in alternation (A B C A B C …, like `Benchmark`) after one warm-up batch
/// each, so slow drifts of a shared machine hit every scheme alike. Every pass is a full evaluation: the first
/// pass at the first thread count is the reference for metrics and predictions, and every other pass is compared
/// against it (`SchemeResult.threadFlips`). Static schemes are calibrated once, single-threaded.
public enum SweepRunner {
    /// Everything a run produced, before it is written to a folder.
    public struct Outcome {
        public var results: SweepResults
        /// Reference-thread-count predictions are `predictions[scheme]![threads.first!]`.
        public var predictions: [String: [Int: PredictionSet]]
        /// Hashes of every model and data file read.
        public var files: [RunManifest.FileHash]
        public var started: Date
        public var finished: Date
        /// Set when the statistics writer produced a file (its path inside the temporary folder).
        public var statisticsFile: URL?
        /// Why statistics were not written, when requested but skipped.
        public var statisticsNote: String?
        /// Random-weights seed from the model's safetensors metadata (`qbench model init`), if any.
        public var randomWeightsSeed: String?
        /// Model shape, for reports.
        public var modelConfig: BertConfiguration
        /// `6 layers × 384 (12 heads, intermediate 1536, vocab 30522)`.
        public var modelShape: String {
            let c = modelConfig
            return "\(c.numHiddenLayers) layers × \(c.hiddenSize) (\(c.numAttentionHeads) heads, intermediate "
                + "\(c.intermediateSize), vocab \(c.vocabSize))"
        }
    }

    /// Progress of the current pass: a label and (examples done, total examples of the whole run).
    public typealias Progress = (_ label: String, _ done: Int, _ total: Int) -> Void

    /// Runs `experiment`.
    /// - Parameters:
    ///   - runID: the run folder's name (recorded in results).
    ///   - statistics: writer for `stats.h5` (issue 4's `LayerStats`); nil skips statistics with a note.
    ///   - statisticsURL: where the writer should put the file (inside the temporary run folder).
    ///   - repeatsOverride: fewer timing repeats (reproduce's `--repeats`); metrics do not depend on it.
    ///   - qat: trainer for the experiment's `qat` rows (required when it has any).
    ///   - qatDirectory: where the QAT models are written (`<dir>/<row name>/`, kept); nil = a temporary folder,
    ///     removed after the run.
    public static func run(_ experiment: Experiment, runID: String, statistics: SweepStatisticsWriter? = nil,
                           statisticsURL: URL? = nil, repeatsOverride: Int? = nil, qat: SweepQATTrainer? = nil,
                           qatDirectory: URL? = nil, progress: Progress? = nil) throws -> Outcome {
        let started = Date()
        let config = experiment.config
        if !experiment.qat.isEmpty, qat == nil {
            throw ExperimentError.invalid("the experiment has qat rows but this program has no trainer linked; run it with qbench")
        }
        let files = try hashInputs(experiment)
        let folder = try ModelFolder(path: experiment.modelPath)
        var dataset = try PairDataset.load(path: experiment.dataPath, split: config.data.split)
        if config.data.limit > 0 {
            dataset = PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(config.data.limit)))
        }
        let options = config.batching
        let padId = Int32(folder.model.config.padTokenId)
        let batches = Evaluator.batches(Evaluator.encode(dataset, tokenizer: folder.tokenizer, maxLength: options.maxSeqLength),
                                        options: options, padId: padId)
        var calibrationBatches: [BertBatch]?
        func calibration() throws -> [BertBatch] {
            if let calibrationBatches { return calibrationBatches }
            let cal = try PairDataset.load(path: experiment.calibrationPath, split: config.calibration.split)
            let subset = PairDataset(path: cal.path, examples: Array(cal.examples.prefix(config.calibration.examples)))
            let b = Evaluator.batches(Evaluator.encode(subset, tokenizer: folder.tokenizer, maxLength: options.maxSeqLength),
                                      options: options, padId: padId)
            calibrationBatches = b
            return b
        }

        var models: [(scheme: ModelScheme, model: BertModel)] = []
        for s in experiment.schemes {
            progress?("quantizing \(s.name)", 0, 1)
            let (m, used) = try folder.model(for: s, calibration: calibration)
            models.append((used, m))
        }
        // QAT rows: train, write a quantized folder, load it back the way `qbench eval --model DIR` does.
        var training: [String: QATTrainingReport] = [:]
        if let qat, !experiment.qat.isEmpty {
            let fm = FileManager.default
            let dir = qatDirectory ?? fm.temporaryDirectory.appendingPathComponent("qbench-qat-\(getpid())-\(UUID().uuidString)")
            try fm.createDirectory(at: dir, withIntermediateDirectories: true)
            defer { if qatDirectory == nil { try? fm.removeItem(at: dir) } }
            for entry in experiment.qat {
                let out = dir.appendingPathComponent(entry.name)
                let report = try qat.train(entry, modelFolder: experiment.modelPath, maxSeqLength: options.maxSeqLength,
                                           threads: config.threads.max() ?? 1, output: out, progress: progress)
                let trained = try ModelFolder(path: out.path)
                var (m, used) = try trained.model(for: entry.scheme) { [] }
                used.name = entry.name
                models.append((used, m))
                training[entry.name] = report
            }
        }

        let threads = config.threads
        let repeats = max(1, repeatsOverride ?? config.repeats)
        let labels = dataset.isLabelled ? dataset.labels : nil
        let total = threads.count * repeats * models.count * dataset.count
        var done = 0
        var seconds = [[[Double]]](repeating: [[Double]](repeating: [], count: threads.count), count: models.count)
        var passes = [[PredictionSet]](repeating: [], count: models.count)   // first pass per thread count
        var flips = [[Int]](repeating: [Int](repeating: 0, count: threads.count), count: models.count)
        var logitDiff = [[Double]](repeating: [Double](repeating: 0, count: threads.count), count: models.count)
        var metrics = [ClassificationMetrics?](repeating: nil, count: models.count)
        let savedThreads = Parallel.threads
        defer { Parallel.setThreads(savedThreads) }
        for (ti, t) in threads.enumerated() {
            Parallel.setThreads(t)
            for m in models { _ = try m.model.forward(batches[0]) }  // warm-up: page in weights, scratch buffers
            for r in 0..<repeats {
                for (mi, m) in models.enumerated() {
                    let label = "\(m.scheme.name) · \(t) thread\(t == 1 ? "" : "s") · pass \(r + 1)/\(repeats)"
                    let base = done
                    let result = try Evaluator.run(model: m.model, batches: batches, labels: labels) { d, n in
                        progress?(label, base + d, total)
                    }
                    done += dataset.count
                    seconds[mi][ti].append(result.seconds)
                    let set = PredictionSet(labels: dataset.examples.map(\.label), predictions: result.predictions,
                                            logits: result.logits)
                    if ti == 0, r == 0 {
                        metrics[mi] = result.metrics
                    } else {
                        let ref = passes[mi][0]
                        flips[mi][ti] = max(flips[mi][ti], zip(ref.predictions, set.predictions).filter { $0 != $1 }.count)
                        logitDiff[mi][ti] = max(logitDiff[mi][ti], maxDifference(ref.logits, set.logits))
                    }
                    if r == 0 { passes[mi].append(set) }
                }
            }
        }

        let fp32 = 0
        var rows: [SchemeResult] = []
        for (mi, m) in models.enumerated() {
            let variant = experiment.variants.first { $0.scheme.name == m.scheme.name }
            let trained = training[m.scheme.name]
            let timings = threads.indices.map { ti -> SchemeResult.Timing in
                let mine = seconds[mi][ti].median, base = seconds[fp32][ti].median
                return SchemeResult.Timing(threads: threads[ti], seconds: seconds[mi][ti], speedup: base / max(mine, 1e-12))
            }
            let ref = passes[mi][0].predictions
            rows.append(SchemeResult(
                scheme: m.scheme.name, kind: mi == 0 ? "baseline" : trained != nil ? "qat" : variant == nil ? "scheme" : "sweep",
                levels: variant?.levels, metrics: metrics[mi], modelBytes: m.model.parameterBytes, timings: timings,
                deltaF1: metrics[mi].flatMap { mine in metrics[fp32].map { mine.f1 - $0.f1 } },
                flipsVsFP32: zip(ref, passes[fp32][0].predictions).filter { $0 != $1 }.count,
                threadFlips: threads.indices.map {
                    SchemeResult.ThreadFlips(threads: threads[$0], flips: flips[mi][$0], maxLogitDifference: logitDiff[mi][$0])
                },
                consistentAcrossThreads: flips[mi].allSatisfy { $0 == 0 }, training: trained))
        }

        var statisticsFile: URL?
        var statisticsNote: String?
        if let request = config.statistics {
            if let statistics, let statisticsURL {
                var statBatches = batches
                if request.examples > 0 {
                    let subset = PairDataset(path: dataset.path, examples: Array(dataset.examples.prefix(request.examples)))
                    statBatches = Evaluator.batches(Evaluator.encode(subset, tokenizer: folder.tokenizer, maxLength: options.maxSeqLength),
                                                    options: options, padId: padId)
                }
                Parallel.setThreads(threads[0])
                try statistics.writeStatistics(
                    to: statisticsURL, request: request, baseline: models[0].model,
                    variants: models.dropFirst().filter { training[$0.scheme.name] == nil }
                        .map { SweepStatisticsInput(scheme: $0.scheme, model: $0.model) },
                    batches: statBatches, attributes: ["run": runID] .merging(files.attributes) { a, _ in a })
                statisticsFile = statisticsURL
            } else {
                statisticsNote = "stats.h5 not written: this qbench has no statistics writer linked "
                    + "(LayerStats, issue 4); `statistics` was requested in the config"
            }
        }

        let results = SweepResults(run: runID, experiment: config.name, examples: dataset.count,
                                   labelled: dataset.isLabelled, threads: threads, repeats: repeats, schemes: rows)
        var predictions: [String: [Int: PredictionSet]] = [:]
        for (mi, m) in models.enumerated() {
            var byThreads: [Int: PredictionSet] = [:]
            for (ti, t) in threads.enumerated() { byThreads[t] = passes[mi][ti] }
            predictions[m.scheme.name] = byThreads
        }
        let weights = folder.url.appendingPathComponent("model.safetensors")
        let seed = (try? SafeTensorsFile(url: weights))?.metadata["quantbench.random_seed"]
        return Outcome(results: results, predictions: predictions, files: files, started: started, finished: Date(),
                       statisticsFile: statisticsFile, statisticsNote: statisticsNote, randomWeightsSeed: seed,
                       modelConfig: folder.model.config)
    }

    /// sha256 of every regular file in the model folder and of every data file the run reads.
    public static func hashInputs(_ experiment: Experiment) throws -> [RunManifest.FileHash] {
        var out: [RunManifest.FileHash] = []
        let fm = FileManager.default
        let names = try fm.contentsOfDirectory(atPath: experiment.modelPath).sorted()
        for n in names where !n.hasPrefix(".") {
            let p = (experiment.modelPath as NSString).appendingPathComponent(n)
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: p, isDirectory: &isDir), !isDir.boolValue else { continue }
            let (h, size) = try SHA256.hexOfFile(p)
            out.append(.init(role: "model", name: n, path: p, sha256: h, bytes: size))
        }
        let config = experiment.config
        let evalFile = Experiment.dataFile(experiment.dataPath, split: config.data.split)
        let (h, size) = try SHA256.hexOfFile(evalFile)
        out.append(.init(role: "data", name: (evalFile as NSString).lastPathComponent, path: evalFile, sha256: h, bytes: size))
        if experiment.needsCalibration {
            let calFile = Experiment.dataFile(experiment.calibrationPath, split: config.calibration.split)
            if !out.contains(where: { $0.path == calFile }) {
                let (h, size) = try SHA256.hexOfFile(calFile)
                out.append(.init(role: "calibration_data", name: (calFile as NSString).lastPathComponent, path: calFile,
                                 sha256: h, bytes: size))
            }
        }
        for entry in experiment.qat {
            let file = Experiment.dataFile(entry.dataPath, split: entry.spec.split)
            guard !out.contains(where: { $0.path == file }) else { continue }
            let (h, size) = try SHA256.hexOfFile(file)
            out.append(.init(role: "training_data", name: (file as NSString).lastPathComponent, path: file, sha256: h, bytes: size))
        }
        return out
    }

    static func maxDifference(_ a: [[Float]], _ b: [[Float]]) -> Double {
        var m = 0.0
        for (ra, rb) in zip(a, b) {
            for (x, y) in zip(ra, rb) { m = max(m, Double(abs(x - y))) }
        }
        return m
    }
}

extension Array where Element == RunManifest.FileHash {
    /// `sha256:<role>/<name>` attributes for the statistics file.
    var attributes: [String: String] {
        Dictionary(map { ("sha256:\($0.role)/\($0.name)", $0.sha256) }) { a, _ in a }
    }
}
