/// BERT's embedding sum and its (row-sparse) gradients.
///
///     forward:  e[b, s] = (word[id[b, s]] + type[tt[b, s]]) + position[s]          (then LayerNorm)
///     backward: word[id] += de,  type[tt] += de,  position[s] += de               (scatter-add per row)
///
/// Only the rows of tokens present in the batch receive gradient; their indices are returned so the optimizer
/// and the gradient norm touch nothing else.
public enum EmbeddingGrad {
    /// Writes `out` `[batch·seq, hidden]`. Ids must be in range (checked by the caller).
    public static func forward<T: TrainingScalar>(ids: [Int32], types: [Int32], batch: Int, seq: Int, hidden h: Int,
                                                  word: UnsafePointer<T>, position: UnsafePointer<T>,
                                                  tokenType: UnsafePointer<T>, out: UnsafeMutablePointer<T>) {
        for b in 0..<batch {
            for s in 0..<seq {
                let r = b * seq + s
                let w = word + Int(ids[r]) * h, t = tokenType + Int(types[r]) * h, p = position + s * h
                let dst = out + r * h
                for i in 0..<h { dst[i] = (w[i] + t[i]) + p[i] }
            }
        }
    }

    /// Scatter-adds `dOut` into the three tables' gradients; returns the touched rows of each (sorted, unique).
    public static func backward<T: TrainingScalar>(dOut: UnsafePointer<T>, ids: [Int32], types: [Int32], batch: Int,
                                                   seq: Int, hidden h: Int, dWord: UnsafeMutablePointer<T>,
                                                   dPosition: UnsafeMutablePointer<T>, dTokenType: UnsafeMutablePointer<T>)
        -> (word: [Int], position: [Int], tokenType: [Int]) {
        var wordRows = Set<Int>(), typeRows = Set<Int>()
        for b in 0..<batch {
            for s in 0..<seq {
                let r = b * seq + s
                let id = Int(ids[r]), tt = Int(types[r])
                wordRows.insert(id)
                typeRows.insert(tt)
                let g = dOut + r * h, w = dWord + id * h, t = dTokenType + tt * h, p = dPosition + s * h
                for i in 0..<h {
                    w[i] += g[i]
                    t[i] += g[i]
                    p[i] += g[i]
                }
            }
        }
        return (wordRows.sorted(), Array(0..<seq), typeRows.sorted())
    }
}
