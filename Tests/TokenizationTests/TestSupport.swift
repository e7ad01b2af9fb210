import _TestSupport
import Foundation
import XCTest
import Tokenization

/// The bert-base-uncased tokenizer, loaded once for all tests.
enum TestTokenizer {
    static let vocabularyURL = Fixtures.projectRoot.appendingPathComponent("data/vocab/bert-base-uncased-vocab.txt")
    private static let loaded = Result { try BertTokenizer(vocabularyURL: vocabularyURL) }
    static func bertBaseUncased() throws -> BertTokenizer { try loaded.get() }
}

/// Reads a JSON fixture from `Tests/Fixtures`.
func loadFixture<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
    let url = Fixtures.fixtures.appendingPathComponent(name)
    return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
}

/// The rows of `data/glue/MRPC/dev.tsv`: label, sentence 1, sentence 2.
func mrpcDevPairs() throws -> [(label: Int, a: String, b: String)] {
    let url = Fixtures.projectRoot.appendingPathComponent("data/glue/MRPC/dev.tsv")
    let text = try String(contentsOf: url, encoding: .utf8)
    var rows: [(Int, String, String)] = []
    for line in text.split(separator: "\n").dropFirst() where !line.isEmpty {   // header first
        let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
        guard fields.count == 5, let label = Int(fields[0]) else {
            throw NSError(domain: "dev.tsv", code: 1, userInfo: [NSLocalizedDescriptionKey: "bad row: \(line)"])
        }
        rows.append((label, String(fields[3]), String(fields[4])))
    }
    return rows
}

/// Compares two id sequences and describes the first difference, or returns nil when they are equal.
func firstMismatch<T: Equatable>(_ actual: [T], _ expected: [T]) -> String? {
    for i in 0..<min(actual.count, expected.count) where actual[i] != expected[i] {
        return "first mismatch at index \(i): got \(actual[i]), expected \(expected[i])"
    }
    if actual.count != expected.count {
        return "length \(actual.count), expected \(expected.count)"
    }
    return nil
}

/// The scalars of each string: `String`'s `==` treats canonically equivalent strings as equal
/// (`"\u{F900}" == "\u{8C48}"`), so tokens are compared through this.
func scalarValues(_ strings: [String]) -> [[UInt32]] {
    strings.map { $0.unicodeScalars.map(\.value) }
}
