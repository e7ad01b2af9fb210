/// How examples are batched for evaluation.
public struct BatchingOptions: Codable, Sendable, Equatable {
    /// Examples per forward pass (the tutorial uses 8).
    public var batchSize: Int = 8
    /// Truncation length of a pair encoding (`longest_first`), and the padded length with `padToMax`.
    public var maxSeqLength: Int = 128
    /// Pad every sequence to `maxSeqLength` (the tutorial's setting) instead of to the batch's longest.
    public var padToMax: Bool = false

    public init(batchSize: Int = 8, maxSeqLength: Int = 128, padToMax: Bool = false) {
        self.batchSize = batchSize
        self.maxSeqLength = maxSeqLength
        self.padToMax = padToMax
    }

    enum CodingKeys: String, CodingKey {
        case batchSize = "batch_size", maxSeqLength = "max_seq_length", padToMax = "pad_to_max"
    }

    /// Missing keys take the defaults above (experiment files may give only `batch_size`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 8
        maxSeqLength = try c.decodeIfPresent(Int.self, forKey: .maxSeqLength) ?? 128
        padToMax = try c.decodeIfPresent(Bool.self, forKey: .padToMax) ?? false
    }
}
