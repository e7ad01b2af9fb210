import BERT
import Datasets
import Foundation
import Quantization
import RunRecords
import Tokenization

/// A Hugging Face model folder opened for evaluation: the model and its tokenizer. Quantized folders written by
/// `qbench quantize` load with their stored operators.
public struct ModelFolder {
    public let url: URL
    public let model: BertModel
    public let tokenizer: BertTokenizer
    /// The scheme a quantized folder (`QuantizedCheckpoint`) was written with; nil for an FP32 folder.
    public let storedScheme: ModelScheme?

    /// Loads `config.json`, the weights and `vocab.txt` from `path`.
    ///
    /// Weights holding NaN or ±Inf are refused, naming the file and the first such tensor, unless
    /// `allowNonFinite` is true; a `vocab.txt` whose line count differs from `config.json`'s `vocab_size` is
    /// refused (it would shift token ids).
    public init(path: String, allowNonFinite: Bool = false) throws {
        url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw ExperimentError.badPath(path: path, reason: "not a model folder (expected a directory with config.json)")
        }
        if QuantizedCheckpoint.isQuantized(folder: url) {
            (model, storedScheme) = try QuantizedCheckpoint.load(folder: url, allowNonFinite: allowNonFinite)
        } else {
            model = try BertModel.load(folder: url, allowNonFinite: allowNonFinite)
            storedScheme = nil
        }
        let vocab = url.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocab.path) else {
            throw ExperimentError.badPath(path: vocab.path, reason: "the model folder has no vocab.txt")
        }
        tokenizer = try BertTokenizer(vocabularyURL: vocab, doLowerCase: true)
        let lines = tokenizer.vocabulary.count, vocabSize = model.config.vocabSize
        guard lines == vocabSize else {
            throw ExperimentError.badPath(path: vocab.path, reason: "has \(lines) lines, but "
                + "\(url.appendingPathComponent("config.json").path) key \"vocab_size\" is \(vocabSize) "
                + "(token ids would not match the embedding rows)")
        }
    }
}

extension ModelFolder {
    /// The model to evaluate under `scheme`: quantized on the fly from an FP32 folder, or the stored operators of a
    /// quantized folder (which accepts only its own scheme or `fp32`, meaning "as stored"). `calibrations` are the
    /// static ranges the model was calibrated with here (empty for dynamic schemes and stored folders);
    /// `calibration` is asked for batches only when the scheme needs them.
    public func model(for scheme: ModelScheme, calibration: () throws -> [BertBatch]) throws
        -> (model: BertModel, scheme: ModelScheme, calibrations: [String: Calibration]) {
        if let stored = storedScheme {
            guard scheme.name == "fp32" || scheme.name == stored.name else {
                throw ExperimentError.invalid("\(url.path) is already quantized with \(stored.name); "
                                              + "quantize the FP32 model with \(scheme.name) instead")
            }
            return (model, stored, [:])
        }
        try scheme.validate()
        let ranges = scheme.requiresCalibration
            ? try ModelQuantization.calibrate(scheme, model: model, batches: try calibration()) : [:]
        return (try ModelQuantization.apply(scheme, to: model, calibrations: ranges), scheme, ranges)
    }
}

extension ModelFolder {
    /// Refuses a classifier that cannot score binary pair data (`Evaluator.checkBinaryClassifier`), naming this
    /// folder's config.json and the key.
    public func checkBinaryClassifier() throws {
        try Evaluator.checkBinaryClassifier(model.config, configFile: url.appendingPathComponent("config.json").path)
    }
}

extension ModelFolder {
    /// `data` tokenized with this folder's tokenizer (pairs truncated to `options.maxSeqLength`) and batched with
    /// its pad token id.
    public func batches(_ data: PairDataset, options: BatchingOptions) -> [BertBatch] {
        Evaluator.batches(Evaluator.encode(data, tokenizer: tokenizer, maxLength: options.maxSeqLength), options: options,
                          padId: Int32(model.config.padTokenId))
    }
}

extension ModelFolder {
    /// The first `examples` pairs of `split` of `data` (TSV or task folder), batched with `options`: the calibration
    /// batches of static schemes.
    public func calibrationBatches(data: String, split: String, examples: Int, options: BatchingOptions) throws -> [BertBatch] {
        let cal = try PairDataset.load(path: data, split: split)
        return batches(PairDataset(path: cal.path, examples: Array(cal.examples.prefix(examples))), options: options)
    }

    /// Refuses a maximum sequence length longer than the model's position table.
    /// - Throws: `ExperimentError.invalid`.
    public func checkSequenceLength(_ options: BatchingOptions) throws {
        let limit = model.config.maxPositionEmbeddings
        guard options.maxSeqLength <= limit else {
            throw ExperimentError.invalid("--max-seq-length \(options.maxSeqLength) exceeds the model's max_position_embeddings \(limit)")
        }
    }
}
