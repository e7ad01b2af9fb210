/// The kind of token a row of an activation tensor belongs to, for counting where outliers sit
/// (Bondarenko et al. 2021 found them on `[SEP]`). The experiment layer derives it from the tokenizer's special
/// tokens and token strings (`TokenClassifier`), never from one family's ids, so `<s>` / `</s>` count like
/// `[CLS]` / `[SEP]`.
public enum TokenClass: Int, CaseIterable, Sendable, Hashable {
    /// The sequence's first special token (`[CLS]`, `<s>`).
    case cls = 0
    /// Every other special token of a real position (`[SEP]`, `</s>`).
    case sep = 1
    /// A real token whose text, without subword markers (`##`, `Ġ`, `▁`), is punctuation only.
    case punctuation = 2
    /// A padded position (attention mask 0).
    case padding = 3
    /// Any other real token.
    case other = 4

    /// Name in files (`/fp32/outliers/token_classes`): `cls`, `sep`, `punctuation`, `padding`, `other`.
    public var name: String {
        switch self {
        case .cls: return "cls"
        case .sep: return "sep"
        case .punctuation: return "punctuation"
        case .padding: return "padding"
        case .other: return "other"
        }
    }
}
