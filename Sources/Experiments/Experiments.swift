/// Module Experiments: see docs/architecture.md.
public enum ExperimentsModule { public static let name = "Experiments" }
