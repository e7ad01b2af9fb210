import Foundation

/// Paths to the project root, `data/` and `../shared/fixtures` from a test file.
public enum Fixtures {
    public static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let shared: URL = projectRoot.deletingLastPathComponent().appendingPathComponent("shared")
    public static let fixtures: URL = shared.appendingPathComponent("fixtures")
}
