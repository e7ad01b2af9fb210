/// Module Quantization: see docs/architecture.md.
public enum QuantizationModule { public static let name = "Quantization" }
