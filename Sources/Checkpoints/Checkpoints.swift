/// Module Checkpoints: see docs/architecture.md.
public enum CheckpointsModule { public static let name = "Checkpoints" }
