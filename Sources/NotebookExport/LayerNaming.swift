/// Short labels for Hugging Face BERT layer names, for axes: `encoder.layer.3.attention.self.query` is `query` in
/// group `L3`; `encoder.layer.3.output.dense` is `ffn.out` (and the residual sum entering `encoder.layer.3.output.LayerNorm`
/// is `ffn.sum`); `pooler.dense` and `classifier` form the group
/// `head`. Unknown names keep their full text (no model size or layer count is assumed).
public enum LayerNaming {
    static let shortNames = [
        "attention.self.query": "query", "attention.self.key": "key", "attention.self.value": "value",
        "attention.output.dense": "attn.out", "intermediate.dense": "ffn.in", "output.dense": "ffn.out",
        // Residual sums, by the LayerNorm they enter (stats.h5 `/fp32/outliers`).
        "attention.output.LayerNorm": "attn.sum", "output.LayerNorm": "ffn.sum",
    ]

    /// (group, short label) of a linear layer.
    public static func linear(_ name: String) -> (group: String, label: String) {
        if let (index, rest) = encoderLayer(name) {
            return ("L\(index)", shortNames[rest] ?? rest)
        }
        switch name {
        case "pooler.dense": return ("head", "pooler")
        case "classifier": return ("head", "classifier")
        default: return ("other", name)
        }
    }

    /// `emb` for `embeddings`, `L3` for `encoder.layer.3`.
    public static func hiddenState(_ name: String) -> String {
        if name == "embeddings" { return "emb" }
        if name.hasPrefix("encoder.layer."), let k = Int(name.dropFirst("encoder.layer.".count)) { return "L\(k)" }
        return name
    }

    /// `L3 ffn.out`.
    public static func shortName(_ name: String) -> String {
        let (g, l) = linear(name)
        return g == "other" ? l : "\(g) \(l)"
    }

    /// `(3, "attention.self.query")` for `encoder.layer.3.attention.self.query`.
    static func encoderLayer(_ name: String) -> (Int, String)? {
        let prefix = "encoder.layer."
        guard name.hasPrefix(prefix) else { return nil }
        let tail = name.dropFirst(prefix.count)
        guard let dot = tail.firstIndex(of: "."), let k = Int(tail[..<dot]) else { return nil }
        return (k, String(tail[tail.index(after: dot)...]))
    }
}
