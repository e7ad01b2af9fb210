import Foundation
import Tokenization

extension FuzzTarget {
    /// A `tokenizer.json`, read by `TokenizerJSON.load` both ways (the BERT fast path and the general pipeline),
    /// then used on a fixed sentence pair and on its own first bytes as text.
    static let tokenizerJSON = FuzzTarget(name: "tokenizer-json", reads: "tokenizer.json") { data in
        let url = FuzzTarget.file("tokenizer.json", data)
        let text = String(decoding: data.prefix(256), as: UTF8.self)
        for fast in [true, false] {
            guard let tokenizer = try? TokenizerJSON.load(url: url, fastPath: fast) else { continue }
            _ = tokenizer.encodePair("The quick brown fox, naïvely 東京 jumped! 12345", "über-ing ▁x", maxLength: 32)
            _ = tokenizer.encodePair(text, nil, maxLength: 64)
        }
    }

    /// A `tokenizer_config.json` beside the tiny fixture's `vocab.txt`, read by `TokenizerLoader.load(folder:)`
    /// (tokenizer class, do_lower_case, strip_accents, special tokens).
    static let tokenizerConfig = FuzzTarget(name: "tokenizer-config", reads: "tokenizer_config.json (+ vocab.txt)") { data in
        let folder = tokenizerFolder
        FileManager.default.createFile(atPath: folder.appendingPathComponent("tokenizer_config.json").path, contents: data)
        let tokenizer = try TokenizerLoader.load(folder: folder)
        _ = tokenizer.encodePair("The quick brown fox, naïvely 東京 jumped!", "über ##ing", maxLength: 32)
    }

    /// A scratch folder holding a copy of the tiny fixture's vocab.txt.
    static let tokenizerFolder: URL = {
        let folder = scratch.appendingPathComponent("tokenizer")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let vocab = folder.appendingPathComponent("vocab.txt")
        if !FileManager.default.fileExists(atPath: vocab.path) {
            try? FileManager.default.copyItem(at: repository.appendingPathComponent("Tests/Fixtures/tiny-random-bert/vocab.txt"),
                                              to: vocab)
        }
        return folder
    }()
}
