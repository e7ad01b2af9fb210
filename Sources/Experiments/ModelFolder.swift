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
    /// The folder's tokenizer, from `tokenizer.json`, `vocab.txt` (+ `tokenizer_config.json`) or `vocab.json` +
    /// `merges.txt` (`TokenizerLoader`).
    public let tokenizer: any PairTokenizer
    /// The scheme a quantized folder (`QuantizedCheckpoint`) was written with; nil for an FP32 folder.
    public let storedScheme: ModelScheme?

    /// Loads `config.json`, the weights and the tokenizer from `path`.
    ///
    /// Weights holding NaN or ±Inf are refused, naming the file and the first such tensor, unless
    /// `allowNonFinite` is true. A tokenizer that can produce an id ≥ `config.json`'s `vocab_size` is refused (it
    /// would index past the embedding rows); fewer ids than `vocab_size` are fine (transformers allows it: BPE and
    /// Unigram checkpoints often pad the embedding), except for a folder read through `vocab.txt`, whose line count
    /// must equal `vocab_size` (a missing line would shift every later id).
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
        tokenizer = try TokenizerLoader.load(folder: url)
        try ModelFolder.checkVocabularySize(tokenizer, folder: url, vocabSize: model.config.vocabSize)
    }

    /// Refuses a tokenizer whose ids do not fit `vocab_size` embedding rows (see `init`); `folder` is where the
    /// tokenizer and `config.json` were read.
    /// - Throws: `ExperimentError.badPath` naming the tokenizer file and `config.json`'s `vocab_size`.
    public static func checkVocabularySize(_ tokenizer: any PairTokenizer, folder url: URL, vocabSize: Int) throws {
        let config = url.appendingPathComponent("config.json").path
        let fm = FileManager.default
        let json = url.appendingPathComponent("tokenizer.json"), vocab = url.appendingPathComponent("vocab.txt")
        if !fm.fileExists(atPath: json.path), fm.fileExists(atPath: vocab.path) {
            let lines = tokenizer.vocabularySize
            guard lines == vocabSize else {
                throw ExperimentError.badPath(path: vocab.path, reason: "has \(lines) lines, but \(config) key "
                    + "\"vocab_size\" is \(vocabSize) (token ids would not match the embedding rows)")
            }
            return
        }
        guard tokenizer.vocabularySize <= vocabSize else {
            throw ExperimentError.badPath(path: url.path, reason: "its tokenizer (\(tokenizer.sourceDescription)) has "
                + "ids up to \(tokenizer.vocabularySize - 1), but \(config) key \"vocab_size\" is \(vocabSize) "
                + "(ids from \(vocabSize) on have no embedding row)")
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
    /// its pad token id; token types as the model consumes them (`BertModel.consumedInput`: all 0 for a family
    /// without them), so the input digest `bench` compares with its peers covers what the model sees.
    public func batches(_ data: PairDataset, options: BatchingOptions) -> [BertBatch] {
        Evaluator.batches(Evaluator.encode(data, tokenizer: tokenizer, maxLength: options.maxSeqLength), options: options,
                          padId: Int32(model.config.padTokenId)).map(model.consumedInput)
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
        let limit = model.config.maxSequenceLength
        guard options.maxSeqLength <= limit else {
            throw ExperimentError.invalid("--max-seq-length \(options.maxSeqLength) exceeds the model's limit \(limit) "
                                          + "(max_position_embeddings \(model.config.maxPositionEmbeddings))")
        }
    }
}
