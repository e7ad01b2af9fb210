extension BertTokenizer: PairTokenizer {
    /// The number of lines of `vocab.txt` (every id is a line).
    public var vocabularySize: Int { vocabulary.count }

    public var sourceDescription: String { "WordPiece (BERT)" }
}
