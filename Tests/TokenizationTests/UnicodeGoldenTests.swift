import XCTest
import Tokenization

/// Every Unicode scalar through `BasicTokenizer` against `UnicodeGolden` (made with the Rust `tokenizers`):
/// control removal, whitespace, punctuation, CJK, accent stripping and lower-casing, one scalar at a time.
final class UnicodeGoldenTests: XCTestCase {
    private static func hex(_ text: Substring) -> UInt32 { UInt32(text, radix: 16)! }

    private static func words(_ text: Substring) -> [String] {
        text.split(separator: "|", omittingEmptySubsequences: false).map { word in
            var scalars = String.UnicodeScalarView()
            for part in word.split(separator: " ") { scalars.append(Unicode.Scalar(hex(part))!) }
            return String(scalars)
        }
    }

    func testEveryScalarMatchesTokenizers() {
        let basic = BasicTokenizer()
        var explicit: [UInt32: [String]] = [:]
        for line in UnicodeGolden.explicit.split(separator: "\n") {
            if let colon = line.firstIndex(of: ":") {
                explicit[Self.hex(line[..<colon])] = ["a" + Self.words(line[line.index(after: colon)...])[0] + "a"]
            } else {
                let equals = line.firstIndex(of: "=")!
                explicit[Self.hex(line[..<equals])] = Self.words(line[line.index(after: equals)...])
            }
        }
        let runs: [(start: UInt32, kind: Character)] = UnicodeGolden.runs.split(whereSeparator: { $0 == " " || $0 == "\n" })
            .map { (Self.hex($0.dropLast()), $0.last!) }
        XCTAssertEqual(runs.first?.start, 0)

        var checked = 0, failures = 0
        var counts: [Character: Int] = [:]
        for (number, run) in runs.enumerated() {
            let end = number + 1 < runs.count ? runs[number + 1].start : 0x110000
            for value in run.start..<end {
                guard let scalar = Unicode.Scalar(value) else { continue }   // surrogates
                let c = String(scalar)
                let expected: [String]
                switch run.kind {
                case "K": expected = ["a" + c + "a"]
                case "R": expected = ["aa"]
                case "W": expected = ["a", "a"]
                case "S": expected = ["a", c, "a"]
                case "H": expected = ["a" + Self.hangulJamo(value) + "a"]
                case "X":
                    guard let words = explicit[value] else { XCTFail("no explicit entry for \(value)"); continue }
                    expected = words
                default: XCTFail("unknown class \(run.kind)"); continue
                }
                let actual = basic.tokenize("a" + c + "a")
                if scalarValues(actual) != scalarValues(expected) {   // not `!=`: see `scalarValues`
                    failures += 1
                    if failures <= 20 {
                        XCTFail(String(format: "U+%04X (class %@): got %@, expected %@", value, String(run.kind),
                                       actual.map { $0.unicodeScalars.map { String($0.value, radix: 16) } }.description,
                                       expected.map { $0.unicodeScalars.map { String($0.value, radix: 16) } }.description))
                    }
                }
                counts[run.kind, default: 0] += 1
                checked += 1
            }
        }
        XCTAssertEqual(checked, 0x110000 - 0x800)
        XCTAssertEqual(counts["X"], explicit.count)
        print("Unicode scalars matching tokenizers \(UnicodeGolden.tokenizersVersion): \(checked - failures)/\(checked) \(counts)")
        XCTAssertEqual(failures, 0)
    }

    /// Unicode's algorithmic decomposition of a precomposed Hangul syllable (The Unicode Standard, 3.12).
    private static func hangulJamo(_ value: UInt32) -> String {
        let s = value - 0xAC00
        var scalars = String.UnicodeScalarView()
        scalars.append(Unicode.Scalar(0x1100 + s / 588)!)
        scalars.append(Unicode.Scalar(0x1161 + (s % 588) / 28)!)
        if s % 28 != 0 { scalars.append(Unicode.Scalar(0x11A7 + s % 28)!) }
        return String(scalars)
    }
}
