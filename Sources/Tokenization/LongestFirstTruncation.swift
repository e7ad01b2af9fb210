/// The `longest_first` truncation of a text pair, as transformers 5.x `BertTokenizer` does it through
/// `truncate_encodings` in https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/utils/truncation.rs
/// (tokens are cut from the right end of each sequence).
///
/// With `budget` = max length − special tokens (3 for a pair), `n1 ≤ n2` the shorter and longer lengths:
/// - `n1 + n2 ≤ budget`: nothing is cut;
/// - else if the shorter fits with room to spare, `n1` is kept and the longer gets `max(n1, budget − n1)`;
/// - if that still does not fit, the shorter keeps `budget / 2` and the longer `budget / 2 + budget % 2`.
/// On equal lengths the first sequence counts as the shorter, so with an odd budget the second keeps one token
/// more. This differs from the Python `truncate_sequences` of transformers 4.x, which removes one token at a
/// time from the longer sequence (the second on ties) and so leaves the odd token to the first:
/// for lengths (4, 4) and budget 7 the Rust rule keeps (3, 4), the Python one (4, 3).
public enum LongestFirstTruncation {
    /// Lengths to keep of a pair of sequences of lengths `first` and `second` within `budget` tokens.
    public static func keptLengths(first: Int, second: Int, budget: Int) -> (first: Int, second: Int) {
        precondition(first >= 0 && second >= 0 && budget >= 0, "lengths and budget must be non-negative")
        if budget == 0 { return (0, 0) }
        if first + second <= budget { return (first, second) }
        var n1 = first, n2 = second
        let swapped = n1 > n2
        if swapped { swap(&n1, &n2) }
        n2 = n1 > budget ? n1 : max(n1, budget - n1)
        if n1 + n2 > budget {
            n1 = budget / 2
            n2 = n1 + budget % 2
        }
        if swapped { swap(&n1, &n2) }
        return (min(first, n1), min(second, n2))
    }

    /// Length to keep of a single sequence of length `length` within `budget` tokens.
    public static func keptLength(_ length: Int, budget: Int) -> Int {
        precondition(length >= 0 && budget >= 0, "length and budget must be non-negative")
        return min(length, budget)
    }
}
