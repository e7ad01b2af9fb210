/// A padded batch of token ids, ready for `BertModel.forward`.
///
/// All arrays are `[batch, seq]` row-major. Padding uses token id `padId`, token type 0 and mask 0.
public struct BertBatch: Sendable {
    public let batch: Int
    public let seq: Int
    public var inputIds: [Int32]
    public var tokenTypeIds: [Int32]
    /// 1 for real tokens, 0 for padding.
    public var attentionMask: [Float]

    /// Pads sequences to the longest one, or to `padTo` when given (the tutorial pads to 128).
    /// - Precondition: each sequence's three arrays have equal length ≤ `padTo`.
    public init(sequences: [(ids: [Int32], types: [Int32])], padTo: Int? = nil, padId: Int32 = 0) {
        let longest = sequences.map(\.ids.count).max() ?? 0
        let s = max(padTo ?? longest, longest)
        batch = sequences.count
        seq = s
        inputIds = [Int32](repeating: padId, count: batch * s)
        tokenTypeIds = [Int32](repeating: 0, count: batch * s)
        attentionMask = [Float](repeating: 0, count: batch * s)
        for (b, sq) in sequences.enumerated() {
            precondition(sq.ids.count == sq.types.count)
            for (j, id) in sq.ids.enumerated() {
                inputIds[b * s + j] = id
                tokenTypeIds[b * s + j] = sq.types[j]
                attentionMask[b * s + j] = 1
            }
        }
    }

    /// A batch from explicit `[batch, seq]` arrays (e.g. a golden file's padded ids).
    public init(batch: Int, seq: Int, inputIds: [Int32], tokenTypeIds: [Int32], attentionMask: [Float]) {
        precondition(inputIds.count == batch * seq && tokenTypeIds.count == batch * seq
                     && attentionMask.count == batch * seq)
        self.batch = batch
        self.seq = seq
        self.inputIds = inputIds
        self.tokenTypeIds = tokenTypeIds
        self.attentionMask = attentionMask
    }
}
