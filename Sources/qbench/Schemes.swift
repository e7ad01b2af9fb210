import ArgumentParser
import Foundation
import Quantization

/// `qbench schemes`: list the registered schemes, or print one as JSON (a starting point for a custom file).
struct Schemes: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List registered quantization schemes or show one as JSON.")

    @Argument(help: "Scheme to print as JSON.")
    var name: String?

    func run() throws {
        if let name {
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try enc.encode(try SchemeRegistry.scheme(named: name)), as: UTF8.self))
            return
        }
        for s in SchemeRegistry.table {
            print(s.name.padding(toLength: 30, withPad: " ", startingAt: 0) + s.summary)
        }
    }
}
