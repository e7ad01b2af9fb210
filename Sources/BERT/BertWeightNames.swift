/// Hugging Face BERT parameter names: the mapping from checkpoint keys to the names the engine uses.
///
/// Canonical names are those of `BertForSequenceClassification.state_dict()` without the `bert.` prefix:
/// `embeddings.word_embeddings.weight`, `encoder.layer.3.attention.self.query.weight`, `pooler.dense.bias`,
/// `classifier.weight`. Mirrors HF `_load_state_dict_into_model` key fixes (`gamma`→`weight`, `beta`→`bias`).
public enum BertWeightNames {
    /// Maps one checkpoint key to its canonical name: strips a leading `bert.` and renames legacy
    /// LayerNorm `gamma`/`beta` to `weight`/`bias`. Pure; unit-tested.
    public static func sanitize(_ key: String) -> String {
        var k = Substring(key)
        if k.hasPrefix("bert.") { k = k.dropFirst(5) }
        var s = String(k)
        if s.hasSuffix(".gamma") { s = String(s.dropLast(6)) + ".weight" }
        else if s.hasSuffix(".beta") { s = String(s.dropLast(5)) + ".bias" }
        return s
    }

    /// Names of the linear layers of a `layers`-deep BERT classifier, in execution order.
    public static func linearLayers(layers: Int) -> [String] {
        var names: [String] = []
        for i in 0..<layers {
            let p = "encoder.layer.\(i)"
            names += ["\(p).attention.self.query", "\(p).attention.self.key", "\(p).attention.self.value",
                      "\(p).attention.output.dense", "\(p).intermediate.dense", "\(p).output.dense"]
        }
        return names + ["pooler.dense", "classifier"]
    }

    /// Names of the LayerNorms, in execution order.
    public static func layerNorms(layers: Int) -> [String] {
        ["embeddings.LayerNorm"] + (0..<layers).flatMap {
            ["encoder.layer.\($0).attention.output.LayerNorm", "encoder.layer.\($0).output.LayerNorm"]
        }
    }

    /// Expected `[out, in]` weight shape of each linear layer.
    public static func linearShape(_ name: String, config c: BertConfiguration) -> [Int] {
        if name == "classifier" { return [c.numLabels, c.hiddenSize] }
        if name.hasSuffix("intermediate.dense") { return [c.intermediateSize, c.hiddenSize] }
        if name.hasSuffix(".output.dense") && !name.contains("attention") { return [c.hiddenSize, c.intermediateSize] }
        return [c.hiddenSize, c.hiddenSize]
    }

    /// The `config.json` keys that give each dimension of `linearShape(name, config:)`.
    public static func linearShapeKeys(_ name: String) -> [String] {
        if name == "classifier" { return ["num_labels", "hidden_size"] }
        if name.hasSuffix("intermediate.dense") { return ["intermediate_size", "hidden_size"] }
        if name.hasSuffix(".output.dense") && !name.contains("attention") { return ["hidden_size", "intermediate_size"] }
        return ["hidden_size", "hidden_size"]
    }
}
