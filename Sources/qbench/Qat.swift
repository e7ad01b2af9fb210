import ArgumentParser
import Experiments
import Foundation
import Sweep
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
    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // epoch lines appear as they happen, also in a log file
        guard !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) already exists; choose a new output folder")
        }
        try AtomicFile.checkWritable(out)
        Parallel.setThreads(training.threads)
        let setup = try QuantizationAwareTraining.prepare(modelFolder: model, scheme: try SchemeResolver.resolve(scheme),
                                                          seed: training.seed,
                                                          allowNonFinite: nonFinite.allowNonFinite)
        if !setup.base.freshlyInitialized.isEmpty {
            print("note: \(model) has no \(setup.base.freshlyInitialized.joined(separator: ", ")); initialised fresh (seed \(training.seed))")
        }
        let tokenizer = setup.folder.tokenizer
        let (train, examples) = try training.trainingExamples(tokenizer: tokenizer)
        let dev = try training.evaluationSet(tokenizer: tokenizer, padId: Int32(setup.base.config.padTokenId))
        let request = QuantizationAwareTraining.Request(
            model: model, scheme: setup.scheme, output: URL(fileURLWithPath: out), examples: examples, trainingData: train.path,
            calibrationExamples: calibrationExamples, evaluation: dev.map { (training.evalSplit, $0.0.labels, $0.1) },
            options: training.options(defaultEpochs: 2, defaultLR: 2e-5))
        var bar: ProgressBar?
        let report = try QuantizationAwareTraining.run(request, prepared: setup, configure: training.attachProgress,
                                                       evaluation: { label, done, total in
            if bar?.label != label { bar = ProgressBar(label: label) }
            bar?.update(done, total)
        }) { print($0) }
        if report.rows.count > 2 {
            print("\n| \(training.evalSplit) | F1 | accuracy | flips vs FP32 |\n|---|---|---|---|")
            for row in report.rows {
                print(String(format: "| %@ | %.4f | %.4f | %@ |", row.name, row.f1, row.accuracy, row.flips.map { "\($0)" } ?? "-"))
            }
        }
        print("wrote \(out) (\(setup.scheme.name), learned ranges for \(report.learnedRanges) layers); "
              + "evaluate with: qbench eval --model \(out) --scheme \(setup.scheme.name)")
    }
}
