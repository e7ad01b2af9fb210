/// What happens to the delimiters when a pre-tokenizer splits: `tokenizers`' `SplitDelimiterBehavior`
/// (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/tokenizer/normalizer.rs, `split`).
///
/// For "a-b" split on "-": `removed` → a, b; `isolated` → a, -, b; `mergedWithPrevious` → a-, b;
/// `mergedWithNext` → a, -b; `contiguous` → like isolated, but adjacent delimiters form one piece.
enum SplitBehavior: String, Sendable, CaseIterable {
    case removed = "Removed"
    case isolated = "Isolated"
    case mergedWithPrevious = "MergedWithPrevious"
    case mergedWithNext = "MergedWithNext"
    case contiguous = "Contiguous"

    /// The pieces (ranges into the text) that `segments` (a partition into matches and gaps, in order) split into.
    /// Empty pieces are dropped, as `PreTokenizedString::split` drops them.
    func pieces(_ segments: [TextPattern.Segment]) -> [Range<Int>] {
        var pieces: [Range<Int>] = []
        switch self {
        case .removed:
            pieces = segments.filter { !$0.isMatch }.map(\.range)
        case .isolated:
            pieces = segments.map(\.range)
        case .contiguous:
            var previousMatch = false
            for segment in segments {
                if segment.isMatch == previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<segment.range.upperBound
                } else {
                    pieces.append(segment.range)
                }
                previousMatch = segment.isMatch
            }
        case .mergedWithPrevious:
            var previousMatch = false
            for segment in segments {
                if segment.isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = last.lowerBound..<segment.range.upperBound
                } else {
                    pieces.append(segment.range)
                }
                previousMatch = segment.isMatch
            }
        case .mergedWithNext:
            var previousMatch = false
            for segment in segments.reversed() {
                if segment.isMatch, !previousMatch, let last = pieces.last {
                    pieces[pieces.count - 1] = segment.range.lowerBound..<last.upperBound
                } else {
                    pieces.append(segment.range)
                }
                previousMatch = segment.isMatch
            }
            pieces.reverse()
        }
        return pieces.filter { !$0.isEmpty }
    }
}
