/// One sentence-pair classification example (MRPC / MSRP row).
public struct PairExample: Sendable, Equatable {
    /// Position in the file, 0-based, header excluded.
    public var index: Int
    /// 1-based line of the file the example was read from (the header is line 1); `index + 2` when not read from
    /// a file.
    public var line: Int
    /// Gold label (MRPC: 1 = paraphrase), nil for unlabelled test files.
    public var label: Int?
    /// `#1 ID` and `#2 ID`, or the `index` column of an unlabelled GLUE test file.
    public var id1: String
    public var id2: String
    /// `#1 String` and `#2 String`.
    public var textA: String
    public var textB: String

    public init(index: Int, label: Int?, id1: String, id2: String, textA: String, textB: String, line: Int? = nil) {
        self.index = index
        self.line = line ?? index + 2
        self.label = label
        self.id1 = id1
        self.id2 = id2
        self.textA = textA
        self.textB = textB
    }
}
