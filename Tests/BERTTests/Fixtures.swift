import Foundation

/// Paths to the project root, `data/` and `../shared/fixtures` from a test file.
enum Fixtures {
    static let projectRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let shared: URL = projectRoot.deletingLastPathComponent().appendingPathComponent("shared")
    static let fixtures: URL = shared.appendingPathComponent("fixtures")
}
