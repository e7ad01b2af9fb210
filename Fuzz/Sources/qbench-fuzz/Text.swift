import Datasets
import Foundation
import Tokenization

extension FuzzTarget {
    /// An MRPC/MSRP TSV file, parsed, then every example tokenized with the tiny fixture's vocabulary.
    static let tsv = FuzzTarget(name: "tsv", reads: "MRPC/MSRP .tsv") { data in
        let set = try PairDataset.load(file: FuzzTarget.file("dev.tsv", data).path)
        for ex in set.examples.prefix(64) { _ = fixtureTokenizer.encodePair(ex.textA, ex.textB, maxLength: 128) }
    }

    /// A `vocab.txt`, loaded as a BertTokenizer and used on a fixed sentence pair and on its own lines.
    static let vocab = FuzzTarget(name: "vocab", reads: "vocab.txt (BertTokenizer)") { data in
        let tokenizer = try BertTokenizer(vocabularyURL: FuzzTarget.file("vocab.txt", data))
        _ = tokenizer.encodePair("The [UNK] quick brown fox, naïvely 東京 jumped!", "über ##ing", maxLength: 32)
        let text = String(decoding: data.prefix(512), as: UTF8.self)
        _ = tokenizer.encodePair(text, text, maxLength: 64)
    }

    static let fixtureTokenizer: BertTokenizer = {
        let url = repository.appendingPathComponent("Tests/Fixtures/tiny-random-bert/vocab.txt")
        guard let t = try? BertTokenizer(vocabularyURL: url) else { fatalError("cannot read \(url.path)") }
        return t
    }()
}
