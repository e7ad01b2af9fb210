import ArgumentParser
import BERT
import Checkpoints
import Datasets
import Experiments
import Foundation
import Quantization
import TensorCore
import Training
import _Support

/// `qbench qat`: quantization-aware training of a fine-tuned FP32 classifier under a registered scheme; writes a
/// quantized folder whose static ranges are the ones learned, for `qbench eval --scheme NAME`.
struct Qat: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "qat",
        abstract: "Quantization-aware training: fine-tune with fake quantization (straight-through estimator).",
        discussion: """
            Every layer the scheme quantizes runs fake-quantized in training (weights, inputs, int32 bias and \
            re-quantized outputs as the scheme says; embeddings too when it quantizes them). Static schemes learn \
            their activation ranges on the training steps (Q8BERT: EMA of max|x|, decay 0.9999). After each epoch \
            the model is evaluated on the integer kernels with the ranges learned so far; the best epoch is written \
            as a quantized folder (codes, scales, learned ranges), which `qbench eval --model OUT --scheme NAME` runs.
            """)

    @Option(help: "Fine-tuned FP32 model folder.")
    var model: String
    @Option(help: "Quantization scheme: a registered name (see `qbench schemes`) or a JSON/YAML scheme file.")
    var scheme: String
    @Option(help: "Output folder (must not exist).")
    var out: String
    @Option(help: "Training examples that calibrate the post-training baseline of a static scheme.")
    var calibrationExamples: Int = 256
    @OptionGroup var training: TrainingArguments

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // epoch lines appear as they happen, also in a log file
        let outURL = URL(fileURLWithPath: out)
        guard !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) already exists; choose a new output folder")
        }
        try AtomicFile.checkWritable(out)
        Parallel.setThreads(training.threads)
        let modelScheme = try SchemeResolver.resolve(scheme)
        guard !modelScheme.layerSchemes.isEmpty else {
            throw ValidationError("scheme \(modelScheme.name) quantizes nothing; QAT needs a quantized scheme")
        }
        let folder = try ModelFolder(path: model)
        guard folder.storedScheme == nil else { throw ValidationError("\(model) is already quantized; start from an FP32 folder") }
        let base = try ClassifierFolder.loadBase(folder: folder.url, seed: training.seed)
        if !base.freshlyInitialized.isEmpty {
            print("note: \(model) has no \(base.freshlyInitialized.joined(separator: ", ")); initialised fresh (seed \(training.seed))")
        }
        let padId = Int32(base.config.padTokenId)
        let (train, examples) = try training.trainingExamples(tokenizer: folder.tokenizer)
        let dev = try training.evaluationSet(tokenizer: folder.tokenizer, padId: padId)

        // Reference rows on the evaluation split: FP32, and post-training quantization with the same scheme.
        var fp32Predictions: [Int]? = nil
        var rows: [(name: String, f1: Double, accuracy: Double, flips: Int?)] = []
        if let (set, batches) = dev {
            let fp32 = try Evaluator.run(model: folder.model, batches: batches, labels: set.labels,
                                         progress: ProgressBar(label: "eval fp32").update)
            fp32Predictions = fp32.predictions
            rows.append(("FP32", fp32.metrics!.f1, fp32.metrics!.accuracy, 0))
            let calibration = Array(examples.prefix(calibrationExamples))
            let calBatches = stride(from: 0, to: calibration.count, by: 8).map { s in
                BertBatch(sequences: calibration[s..<min(calibration.count, s + 8)].map { ($0.inputIds, $0.tokenTypeIds) }, padId: padId)
            }
            let ptq = try ModelQuantization.apply(modelScheme, to: folder.model, calibration: calBatches)
            let r = try Evaluator.run(model: ptq, batches: batches, labels: set.labels,
                                      progress: ProgressBar(label: "eval post-training").update)
            rows.append(("post-training \(modelScheme.name)", r.metrics!.f1, r.metrics!.accuracy, flips(r.predictions, fp32.predictions)))
            print(String(format: "FP32: %@ F1 %.4f; post-training %@: F1 %.4f, %d flips vs FP32", training.evalSplit,
                         fp32.metrics!.f1, modelScheme.name, r.metrics!.f1, rows.last!.flips!))
        }

        let trainable = try TrainableBert<Float>(config: base.config, tensors: base.tensors, hiddenDropout: base.hiddenDropout,
                                                 attentionDropout: base.attentionDropout, name: model)
        try trainable.attachQuantization(modelScheme)
        let options = training.options(defaultEpochs: 2, defaultLR: 2e-5)
        print("quantization-aware training of \(model) with \(modelScheme.name) on \(examples.count) pairs of \(train.path): "
              + "\(options.epochs) epoch(s), lr \(options.learningRate), batch \(options.batchSize), seed \(options.seed)")
        let tuner = try FineTuner(model: trainable, options: options)
        training.attachProgress(to: tuner)
        var epochFlips: [Int: Int] = [:]
        var bestCalibrations = trainable.calibrations()
        tuner.onBest = { _ in bestCalibrations = trainable.calibrations() }
        let printEpoch = tuner.onEpoch
        tuner.onEpoch = { r in
            printEpoch?(r)
            if let f = epochFlips[r.epoch] { print("  \(f) flips vs FP32 on the integer kernels") }
        }
        let result = try tuner.run(examples: examples, evaluate: dev.map { dev in
            { model in
                let integer = try ModelQuantization.apply(modelScheme, to: model.engineModel(source: "qat"),
                                                          calibrations: model.calibrations())
                let r = try Evaluator.run(model: integer, batches: dev.1, labels: dev.0.labels,
                                          progress: ProgressBar(label: "eval \(modelScheme.name)").update)
                if let fp32Predictions { epochFlips[tuner.currentEpoch] = flips(r.predictions, fp32Predictions) }
                return r.metrics!
            }
        })

        let trained = try BertModel.load(config: base.config, weights: InMemoryTensors(result.bestTensors), name: model)
        try QuantizedCheckpoint.write(model: trained, scheme: modelScheme, calibrations: bestCalibrations,
                                      source: folder.url, to: outURL)
        let best = result.epochs[result.bestEpoch - 1]
        if let f1 = best.devF1, let acc = best.devAccuracy {
            rows.append(("QAT \(modelScheme.name) (epoch \(result.bestEpoch))", f1, acc, epochFlips[result.bestEpoch]))
            print("\n| \(training.evalSplit) | F1 | accuracy | flips vs FP32 |\n|---|---|---|---|")
            for row in rows {
                print(String(format: "| %@ | %.4f | %.4f | %@ |", row.name, row.f1, row.accuracy, row.flips.map { "\($0)" } ?? "-"))
            }
        }
        print("wrote \(out) (\(modelScheme.name), learned ranges for \(bestCalibrations.count) layers); "
              + "evaluate with: qbench eval --model \(out) --scheme \(modelScheme.name)")
    }

    private func flips(_ a: [Int], _ b: [Int]) -> Int { zip(a, b).filter { $0 != $1 }.count }
}
