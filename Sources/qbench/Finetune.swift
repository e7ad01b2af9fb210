import ArgumentParser
import Datasets
import Experiments
import Foundation
import TensorCore
import Tokenization
import Training
import _Support

/// `qbench finetune`: fine-tune a BERT, RoBERTa, XLM-R or DistilBERT base on a pair-classification task and write
/// a Hugging Face folder.
struct Finetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fine-tune a BERT, RoBERTa, XLM-R or DistilBERT model on MRPC-format data; writes a transformers-compatible classifier folder.",
        discussion: """
            A base without a classifier head (or pooler) gets a fresh seeded one (HF init). After each epoch the model \
            is scored on --eval-split and the best epoch is kept. The output folder appears only when training has \
            finished (assembled under a temporary name, then renamed).
            """)

    @Option(help: "Base model folder (config.json, model.safetensors or pytorch_model.bin, tokenizer.json or vocab.txt).")
    var model: String
    @Option(help: "Output folder (must not exist).")
    var out: String
    @OptionGroup var training: TrainingArguments
    @OptionGroup var nonFinite: NonFiniteOption

    func run() throws {
        setvbuf(stdout, nil, _IOLBF, 0)   // epoch lines appear as they happen, also in a log file
        let outURL = URL(fileURLWithPath: out)
        guard !FileManager.default.fileExists(atPath: out) else {
            throw ValidationError("\(out) already exists; choose a new output folder")
        }
        try AtomicFile.checkWritable(out)
        Parallel.setThreads(training.threads)
        let baseURL = URL(fileURLWithPath: model)
        let base = try ClassifierFolder.loadBase(folder: baseURL, seed: training.seed,
                                                allowNonFinite: nonFinite.allowNonFinite)
        try Evaluator.checkBinaryClassifier(base.config, configFile: baseURL.appendingPathComponent("config.json").path)
        if !base.freshlyInitialized.isEmpty {
            print("note: \(model) has no \(base.freshlyInitialized.joined(separator: ", ")); initialised fresh "
                  + "(normal std \((base.rawConfig["initializer_range"] as? NSNumber)?.doubleValue ?? 0.02), bias 0, seed \(training.seed))")
        }
        let tokenizer = try TokenizerLoader.load(folder: baseURL)
        let (train, examples) = try training.trainingExamples(tokenizer: tokenizer)
        let padId = Int32(base.config.padTokenId)
        let dev = try training.evaluationSet(tokenizer: tokenizer, padId: padId)
        let trainable = try TrainableBert<Float>(config: base.config, tensors: base.tensors, hiddenDropout: base.hiddenDropout,
                                                 attentionDropout: base.attentionDropout,
                                                 classifierDropout: base.classifierDropout, name: model)
        let options = training.options(defaultEpochs: 3, defaultLR: 5e-5)
        print("fine-tuning \(model) on \(examples.count) pairs of \(train.path): \(options.epochs) epoch(s), lr \(options.learningRate), "
              + "batch \(options.batchSize), seed \(options.seed), \(training.threads) thread(s)")
        let tuner = try FineTuner(model: trainable, options: options)
        training.attachProgress(to: tuner)
        let result = try tuner.run(examples: examples, evaluate: dev.map { dev in
            { model in
                let bar = ProgressBar(label: "eval \(training.evalSplit)")
                return try Evaluator.run(model: model.engineModel(source: "epoch"), batches: dev.1,
                                         labels: dev.0.labels, allowNonFinite: nonFinite.allowNonFinite,
                                         data: dev.0, progress: bar.update).metrics!
            }
        })

        var record: [String: Any] = [
            "base": model, "data": train.path, "train_examples": examples.count, "best_epoch": result.bestEpoch,
            "freshly_initialized": base.freshlyInitialized, "threads": training.threads,
            "epochs": result.epochs.map { r -> [String: Any] in
                var e: [String: Any] = ["epoch": r.epoch, "mean_loss": r.meanLoss, "seconds": r.seconds]
                if let f = r.devF1 { e["dev_f1"] = f }
                if let a = r.devAccuracy { e["dev_accuracy"] = a }
                return e
            },
        ]
        let encoded = try JSONSerialization.jsonObject(with: JSONEncoder().encode(options)) as! [String: Any]
        record["options"] = encoded
        let recordData = try JSONSerialization.data(withJSONObject: record, options: [.prettyPrinted, .sortedKeys])
        try ClassifierFolder.write(tensors: result.bestTensors,
                                   config: ClassifierFolder.classifierConfig(base: base.rawConfig, numLabels: base.config.numLabels),
                                   vocabularyFrom: baseURL, extraFiles: ["finetune.json": recordData], to: outURL)
        let best = result.epochs[result.bestEpoch - 1]
        var line = "wrote \(out): epoch \(result.bestEpoch)"
        if let f1 = best.devF1 { line += String(format: " (%@ F1 %.4f)", training.evalSplit, f1) }
        print(line)
    }
}
