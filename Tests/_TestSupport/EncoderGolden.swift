import Foundation

/// The encoder-family goldens: `Tests/Fixtures/encoders/<family>/golden.json` (the shared fixtures, copied
/// verbatim: first 16 MRPC dev pairs) and `Tests/Fixtures/encoders-shapes/<family>/golden.json`
/// (`Tools/goldens/make_encoder_goldens.py`: differently shaped models, all 408 dev pairs, ids stored compactly).
public struct EncoderGolden {
    /// The shared fixture families.
    public static let fixtureFamilies = ["bert-cased", "bert-uncased-tokenizer-json", "roberta", "xlm-roberta",
                                         "distilbert", "electra", "albert", "deberta-v2"]
    /// The families of `encoders-shapes`.
    public static let shapeFamilies = ["bert", "roberta", "xlm-roberta", "distilbert", "electra", "albert", "deberta-v2"]

    public let folder: URL
    /// Per pair: input ids and token type ids as transformers' tokenizer returned them (all 0 where it returned
    /// none: the model then uses its zero buffer, or has no token types).
    public let pairs: [(ids: [Int32], types: [Int32])]
    public let labels: [Int]
    /// `[pairs][labels]`: FP32 and `quantize_dynamic` logits (batches of 8, padded to the batch's longest).
    public let fp32: [[Float]]
    public let quantizeDynamic: [[Float]]
    /// `encoders-shapes` only: `quantize_dynamic` logits after one-ulp LayerNorm noise (golden `ulp_noise`), the
    /// amount PyTorch's INT8 logits move when FP32 rounding differs by an ulp.
    public let quantizeDynamicULPNoise: [[Float]]?
    /// The last hidden state `[2, seq, hidden]` of the first 2 pairs padded to the longer (fixtures only).
    public let lastHiddenFirst2: [Float]?
    public let source: String

    /// `Tests/Fixtures/encoders/<family>`.
    public static func fixture(_ family: String) throws -> EncoderGolden {
        let folder = Fixtures.fixtures.appendingPathComponent("encoders/\(family)")
        let g = try Golden.load("encoders/\(family)/golden.json")
        let pairs = (g["pairs"] as! [[String: Any]]).map { p -> (ids: [Int32], types: [Int32]) in
            let ids = (p["input_ids"] as! [NSNumber]).map(\.int32Value)
            let types = (p["token_type_ids"] as? [NSNumber])?.map(\.int32Value) ?? [Int32](repeating: 0, count: ids.count)
            return (ids, types)
        }
        return EncoderGolden(folder: folder, pairs: pairs,
                             labels: (g["pairs"] as! [[String: Any]]).map { ($0["label"] as! NSNumber).intValue },
                             fp32: Golden.matrix(g["logits_fp32"]).map { $0.map(Float.init) },
                             quantizeDynamic: Golden.matrix(g["logits_quantize_dynamic"]).map { $0.map(Float.init) },
                             quantizeDynamicULPNoise: nil,
                             lastHiddenFirst2: Golden.flat(g["last_hidden_state_first2"]), source: g["source"] as! String)
    }

    /// `Tests/Fixtures/encoders-shapes/<family>`: ids as flat `input_ids` with per-pair `lengths`, token types as
    /// the length of the first segment (`segment_a`: types 0 before it, 1 from it on; null where the tokenizer
    /// returns no token type ids).
    public static func shapes(_ family: String) throws -> EncoderGolden {
        let folder = Fixtures.fixtures.appendingPathComponent("encoders-shapes/\(family)")
        let g = try Golden.load("encoders-shapes/\(family)/golden.json")
        let flat = (g["input_ids"] as! [NSNumber]).map(\.int32Value)
        let lengths = (g["lengths"] as! [NSNumber]).map(\.intValue)
        let segmentA = (g["segment_a"] as? [NSNumber])?.map(\.intValue)
        var pairs: [(ids: [Int32], types: [Int32])] = []
        var start = 0
        for (i, n) in lengths.enumerated() {
            let ids = Array(flat[start..<(start + n)])
            start += n
            let a = segmentA?[i] ?? n
            pairs.append((ids, (0..<n).map { $0 < a ? 0 : 1 }))
        }
        precondition(start == flat.count, "encoders-shapes/\(family): lengths do not add up to input_ids")
        return EncoderGolden(folder: folder, pairs: pairs, labels: (g["labels"] as! [NSNumber]).map(\.intValue),
                             fp32: Golden.matrix(g["logits_fp32"]).map { $0.map(Float.init) },
                             quantizeDynamic: Golden.matrix(g["logits_quantize_dynamic"]).map { $0.map(Float.init) },
                             quantizeDynamicULPNoise: Golden.matrix(g["logits_quantize_dynamic_ulp_noise"]).map { $0.map(Float.init) },
                             lastHiddenFirst2: nil, source: g["source"] as! String)
    }

    /// Pair indices in the goldens' batches: consecutive runs of `size`.
    public func batchRanges(size: Int = 8) -> [Range<Int>] {
        stride(from: 0, to: pairs.count, by: size).map { $0..<min($0 + size, pairs.count) }
    }
}
