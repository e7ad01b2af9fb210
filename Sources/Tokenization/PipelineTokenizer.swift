/// A tokenizer assembled from a `tokenizer.json` (or from `vocab.json` + `merges.txt`): the `tokenizers` pipeline
/// added tokens → normalizer → pre-tokenizer → model → truncation → post-processor, as
/// `TokenizerImpl::encode` runs it (https://github.com/huggingface/tokenizers/blob/main/tokenizers/src/tokenizer/mod.rs).
///
/// Truncation is `longest_first` to `maxLength − addedTokens(pair)` model tokens (`LongestFirstTruncation`), then
/// the post-processor adds the special tokens. Offsets and decoding are not needed here and are not computed.
public struct PipelineTokenizer: PairTokenizer {
    let addedVocabulary: AddedVocabulary
    let normalizer: TextNormalizer?
    let preTokenizer: PreTokenizer?
    let model: any SubwordModel
    let postProcessor: PostProcessor?
    /// The name of the model (`WordPiece`, `BPE`, `Unigram`).
    public let modelType: String
    public let padId: Int32
    public let vocabularySize: Int
    public let sourceDescription: String
    /// Tokens by id of the added tokens that are not in the model's vocabulary.
    private let addedTokensById: [Int32: String]
    private let unknownToken: String

    init(addedTokens: [AddedVocabulary.Token], normalizer: TextNormalizer?, preTokenizer: PreTokenizer?,
         model: any SubwordModel, modelType: String, postProcessor: PostProcessor?, padId: Int32,
         unknownToken: String, sourceDescription: String) {
        self.addedVocabulary = AddedVocabulary(tokens: addedTokens, normalizer: normalizer)
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.modelType = modelType
        self.postProcessor = postProcessor
        self.padId = padId
        self.unknownToken = unknownToken
        self.sourceDescription = sourceDescription
        var extra: [Int32: String] = [:]
        for token in addedTokens where Int(token.id) >= model.vocabulary.count {
            extra[token.id] = String(String.UnicodeScalarView(token.content))
        }
        addedTokensById = extra
        vocabularySize = max(model.vocabulary.count, (addedTokens.map { Int($0.id) }.max() ?? -1) + 1)
    }

    /// The ids of `text` without special tokens.
    func encodeIds(_ text: String) -> [Int32] {
        var ids: [Int32] = []
        for part in addedVocabulary.extractAndNormalize(Array(text.unicodeScalars), normalizer: normalizer) {
            switch part {
            case .token(let id):
                ids.append(id)
            case .text(let piece):
                let words = preTokenizer?.split([piece]) ?? [piece]
                for word in words where !word.scalars.isEmpty { model.appendIds(of: word.scalars, to: &ids) }
            }
        }
        return ids
    }

    public func encode(_ text: String) -> [Int] { encodeIds(text).map(Int.init) }

    /// An empty `b` is no pair, as in transformers (`if text_pair`).
    public func encodePair(_ a: String, _ b: String?, maxLength: Int = 128) -> Encoding {
        let b = b?.isEmpty == true ? nil : b
        let added = postProcessor?.addedTokens(pair: b != nil) ?? 0
        precondition(maxLength >= added, "maxLength \(maxLength) cannot hold the \(added) special tokens")
        let budget = maxLength - added
        var first = encodeIds(a)
        var parts: [PostProcessor.Part]
        if let b {
            var second = encodeIds(b)
            let kept = LongestFirstTruncation.keptLengths(first: first.count, second: second.count, budget: budget)
            first.removeSubrange(kept.first...)
            second.removeSubrange(kept.second...)
            parts = [PostProcessor.Part(ids: first, typeIds: [Int32](repeating: 0, count: first.count)),
                     PostProcessor.Part(ids: second, typeIds: [Int32](repeating: 1, count: second.count))]
        } else {
            first.removeSubrange(LongestFirstTruncation.keptLength(first.count, budget: budget)...)
            parts = [PostProcessor.Part(ids: first, typeIds: [Int32](repeating: 0, count: first.count))]
        }
        if let postProcessor { parts = postProcessor.process(parts) }
        let ids = parts.flatMap(\.ids), types = parts.flatMap(\.typeIds)
        return Encoding(inputIds: ids, tokenTypeIds: types, attentionMask: [Int32](repeating: 1, count: ids.count))
    }

    public func convertIdsToTokens(_ ids: [Int]) -> [String] {
        ids.map { id in
            if id >= 0, id < model.vocabulary.count { return model.vocabulary.tokens[id] }
            if id >= 0, id <= Int(Int32.max), let token = addedTokensById[Int32(id)] { return token }
            return unknownToken
        }
    }
}
