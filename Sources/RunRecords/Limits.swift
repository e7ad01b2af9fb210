import Foundation

/// Upper bounds on values a user or a file can set, so hostile input fails with a message instead of
/// exhausting memory or threads. One table, used by the CLI and by every file reader.
public enum Limits {
    /// Most threads an engine may use: 4 × the machine's active cores, at most 256 (every OpenBLAS worker
    /// reserves a buffer; far more threads than cores only costs memory).
    public static var maxThreads: Int { min(256, 4 * max(1, ProcessInfo.processInfo.activeProcessorCount)) }
    /// Most bins of a histogram (`stats --bins`): 2^16.
    public static let maxHistogramBins = 1 << 16
    /// Most cells a sweep may expand to (product of its axes' level counts), checked before expanding.
    public static let maxSweepCells = 4096

    /// Nil when `threads` is in 1…`maxThreads`, else why not (for a message naming the option or key).
    public static func threadsProblem(_ threads: Int) -> String? {
        if threads < 1 { return "\(threads); expected an integer ≥ 1" }
        if threads > maxThreads {
            return "\(threads) exceeds the maximum \(maxThreads) (4 × \(ProcessInfo.processInfo.activeProcessorCount) cores, at most 256)"
        }
        return nil
    }
}

/// Names read from files (run names, scheme names, layer names, cell ids) that become one path component.
public enum PathComponent {
    /// True for a non-empty name of letters, digits, `.`, `_`, `-`, `+`, `@`, `=` that is not `.` or `..`, has no
    /// `/`, no NUL, does not start with `.` or `-` and is at most 200 UTF-8 bytes: safe as one file or folder name.
    public static func isSafe(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 200, name != ".", name != "..",
              let first = name.first, first != ".", first != "-" else { return false }
        return name.unicodeScalars.allSatisfy { s in
            (s.isASCII && (CharacterSet.alphanumerics.contains(s) || "._-+@=".unicodeScalars.contains(s)))
        }
    }

    /// `name` when `isSafe`, else `RunRecordError.malformed(file:keyPath:…)` naming the file and key.
    @discardableResult
    public static func check(_ name: String, file: String, keyPath: String) throws -> String {
        guard isSafe(name) else {
            throw RunRecordError.malformed(file: file, keyPath: keyPath,
                                           message: "'\(name)' is not a safe file name; expected letters, digits, "
                                               + "'.', '_', '-', '+', '@' or '=' (not starting with '.' or '-')")
        }
        return name
    }
}
