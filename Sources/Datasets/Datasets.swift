/// Module Datasets: see docs/architecture.md.
public enum DatasetsModule { public static let name = "Datasets" }
