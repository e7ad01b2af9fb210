/// Module Tokenization: see docs/architecture.md.
public enum TokenizationModule { public static let name = "Tokenization" }
