/// Module BERT: see docs/architecture.md.
public enum BERTModule { public static let name = "BERT" }
