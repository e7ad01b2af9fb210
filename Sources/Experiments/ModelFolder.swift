import BERT
import Foundation
import Tokenization

/// A Hugging Face model folder opened for evaluation: the model and its tokenizer.
public struct ModelFolder {
    public let url: URL
    public let model: BertModel
    public let tokenizer: BertTokenizer

    /// Loads `config.json`, the weights and `vocab.txt` from `path`.
    public init(path: String) throws {
        url = URL(fileURLWithPath: path)
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), isDir.boolValue else {
            throw ExperimentError.badPath(path: path, reason: "not a model folder (expected a directory with config.json)")
        }
        model = try BertModel.load(folder: url)
        let vocab = url.appendingPathComponent("vocab.txt")
        guard FileManager.default.fileExists(atPath: vocab.path) else {
            throw ExperimentError.badPath(path: vocab.path, reason: "the model folder has no vocab.txt")
        }
        tokenizer = try BertTokenizer(vocabularyURL: vocab, doLowerCase: true)
    }
}
