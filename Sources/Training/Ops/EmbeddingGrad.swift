/// The embedding sum of the encoder families and its (row-sparse) gradients.
///
///     forward:  e[b, s] = (word[id[b, s]] + type[tt[b, s]]) + position[pos[b, s]]     (then LayerNorm)
///     backward: word[id] += de,  type[tt] += de,  position[pos] += de                 (scatter-add per row)
///
/// `pos` is the family's position id (`EncoderLayout.Positions.ids`: `s` for BERT and DistilBERT, RoBERTa's
/// padding offset); the token type table is absent for DistilBERT (`types` and `tokenType` nil). Only the rows of
/// ids present in the batch receive gradient; their indices are returned so the optimizer and the gradient norm
/// touch nothing else.
public enum EmbeddingGrad {
    /// Writes `out` `[batch·seq, hidden]`. Ids, types and positions must be in range (checked by the caller).
    public static func forward<T: TrainingScalar>(ids: [Int32], types: [Int32]?, positions: [Int], batch: Int,
                                                  seq: Int, hidden h: Int, word: UnsafePointer<T>,
                                                  position: UnsafePointer<T>, tokenType: UnsafePointer<T>?,
                                                  out: UnsafeMutablePointer<T>) {
        precondition((types == nil) == (tokenType == nil), "EmbeddingGrad: token types without a table, or the reverse")
        for r in 0..<(batch * seq) {
            let w = word + Int(ids[r]) * h, p = position + positions[r] * h
            let dst = out + r * h
            if let types, let tokenType {
                let t = tokenType + Int(types[r]) * h
                for i in 0..<h { dst[i] = (w[i] + t[i]) + p[i] }
            } else {
                for i in 0..<h { dst[i] = w[i] + p[i] }
            }
        }
    }

    /// Scatter-adds `dOut` into the tables' gradients; returns the touched rows of each (sorted, unique; nil for an
    /// absent token type table).
    public static func backward<T: TrainingScalar>(dOut: UnsafePointer<T>, ids: [Int32], types: [Int32]?,
                                                   positions: [Int], batch: Int, seq: Int, hidden h: Int,
                                                   dWord: UnsafeMutablePointer<T>, dPosition: UnsafeMutablePointer<T>,
                                                   dTokenType: UnsafeMutablePointer<T>?)
        -> (word: [Int], position: [Int], tokenType: [Int]?) {
        precondition((types == nil) == (dTokenType == nil), "EmbeddingGrad: token types without a table, or the reverse")
        var wordRows = Set<Int>(), positionRows = Set<Int>(), typeRows = Set<Int>()
        for r in 0..<(batch * seq) {
            let id = Int(ids[r]), pos = positions[r]
            wordRows.insert(id)
            positionRows.insert(pos)
            let g = dOut + r * h, w = dWord + id * h, p = dPosition + pos * h
            for i in 0..<h {
                w[i] += g[i]
                p[i] += g[i]
            }
            if let types, let dTokenType {
                let tt = Int(types[r])
                typeRows.insert(tt)
                let t = dTokenType + tt * h
                for i in 0..<h { t[i] += g[i] }
            }
        }
        return (wordRows.sorted(), positionRows.sorted(), types == nil ? nil : typeRows.sorted())
    }
}
