import Foundation

/// Paths to the project root, `data/` and the fixtures a test reads. Tests read nothing outside the repository
/// except the public base model that `make test` downloads into the build cache (`BaseModel`).
public enum Fixtures {
    public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `Tests/Fixtures`: small models and PyTorch goldens made by `Tools/goldens/make_goldens.py`
    /// (provenance of every file: `Tests/Fixtures/PROVENANCE.md`).
    public static let fixtures: URL = projectRoot.appendingPathComponent("Tests/Fixtures")
    /// The tiny random BERT classifier (2 layers, hidden 64, small vocabulary), safetensors.
    public static let tinyBert: URL = fixtures.appendingPathComponent("tiny-random-bert")
    /// The same weights as `tinyBert`, saved by `torch.save` (`pytorch_model.bin`).
    public static let tinyBertPyTorchBin: URL = fixtures.appendingPathComponent("tiny-random-bert-pytorch-bin")
    /// GLUE MRPC in the repository (`data/glue/MRPC`).
    public static let mrpc: URL = projectRoot.appendingPathComponent("data/glue/MRPC")
}
