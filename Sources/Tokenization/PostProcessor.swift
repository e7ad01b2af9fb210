/// A `tokenizer.json` post-processor: how the special tokens are put around one text or a pair, and the
/// `token_type_ids` (https://github.com/huggingface/tokenizers/tree/main/tokenizers/src/processors).
///
/// - `bert(cls, sep)` (`BertProcessing`): `[CLS] A [SEP]`, `[CLS] A [SEP] B [SEP]`; types 0 up to the first
///   `[SEP]`, 1 after.
/// - `roberta(cls, sep)` (`RobertaProcessing`): `<s> A </s>`, `<s> A </s></s> B </s>`; all types 0.
/// - `template(single, pair)` (`TemplateProcessing`): the pieces in order, each with its own `type_id`.
/// - `byteLevel` (`ByteLevel`): only offsets change, so nothing here.
/// - `sequence` (`Sequence`): each in turn.
/// With no post-processor the texts are concatenated, types 0 for A and 1 for B.
indirect enum PostProcessor: Sendable {
    case bert(cls: Int32, sep: Int32)
    case roberta(cls: Int32, sep: Int32)
    case template(single: [TemplatePiece], pair: [TemplatePiece])
    case byteLevel
    case sequence([PostProcessor])

    /// One element of a template: a sequence (`A` or `B`) or special-token ids, with the type id they get.
    enum TemplatePiece: Sendable, Equatable {
        case sequence(second: Bool, typeId: Int32)
        case special(ids: [Int32], typeId: Int32)
    }

    /// Ids and type ids of one encoding on its way through the processors.
    struct Part: Sendable {
        var ids: [Int32]
        var typeIds: [Int32]
    }

    /// Number of special tokens added to one text (`pair: false`) or a pair (`added_tokens(is_pair)`), which
    /// truncation leaves room for.
    func addedTokens(pair: Bool) -> Int {
        switch self {
        case .bert: return pair ? 3 : 2
        case .roberta: return pair ? 4 : 2
        case let .template(single, pairTemplate):
            return (pair ? pairTemplate : single).reduce(0) {
                if case .special(let ids, _) = $1 { return $0 + ids.count }
                return $0
            }
        case .byteLevel: return 0
        case .sequence(let processors): return processors.reduce(0) { $0 + $1.addedTokens(pair: pair) }
        }
    }

    /// `parts` (one or two encodings, types 0 and 1) with the special tokens added; as many parts as come in when
    /// a processor does not join them (`ByteLevel`).
    func process(_ parts: [Part]) -> [Part] {
        switch self {
        case let .bert(cls, sep):
            var ids = [cls] + parts[0].ids + [sep]
            var types = [Int32](repeating: 0, count: ids.count)
            if parts.count > 1 {
                ids += parts[1].ids + [sep]
                types += parts[1].typeIds + [1]
            }
            return [Part(ids: ids, typeIds: types)]
        case let .roberta(cls, sep):
            var ids = [cls] + parts[0].ids + [sep]
            if parts.count > 1 { ids += [sep] + parts[1].ids + [sep] }
            return [Part(ids: ids, typeIds: [Int32](repeating: 0, count: ids.count))]
        case let .template(single, pair):
            var ids: [Int32] = [], types: [Int32] = []
            for piece in parts.count > 1 ? pair : single {
                switch piece {
                case let .sequence(second, typeId):
                    let part = parts[second && parts.count > 1 ? 1 : 0]
                    ids += part.ids
                    types += [Int32](repeating: typeId, count: part.ids.count)
                case let .special(specialIds, typeId):
                    ids += specialIds
                    types += [Int32](repeating: typeId, count: specialIds.count)
                }
            }
            return [Part(ids: ids, typeIds: types)]
        case .byteLevel:
            return parts
        case .sequence(let processors):
            return processors.reduce(parts) { $1.process($0) }
        }
    }
}
