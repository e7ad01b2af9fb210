/// An experiment file as read: its path, full text and sha256 (recorded in the manifest's `config_file`).
public struct ExperimentSource: Codable, Sendable, Equatable {
    public var path: String
    public var text: String
    public var sha256: String

    public init(path: String, text: String, sha256: String) {
        self.path = path
        self.text = text
        self.sha256 = sha256
    }
}
