import Foundation

/// A one-line progress bar on stderr (examples/s, ETA), drawn only when stderr is a terminal.
final class ProgressBar {
    /// Text before the bar; may change between updates (e.g. the scheme a sweep is on).
    var label: String
    private let enabled: Bool
    private let start = Date()
    private var lastDraw = Date.distantPast

    init(label: String, enabled: Bool = isatty(2) != 0) {
        self.label = label
        self.enabled = enabled
    }

    func update(_ done: Int, _ total: Int) {
        update(done, total, detail: "")
    }

    /// Draws the bar with `detail` (e.g. "loss 0.512") after the counts.
    func update(_ done: Int, _ total: Int, detail: String) {
        guard enabled, total > 0 else { return }
        let now = Date()
        guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
        lastDraw = now
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = Int(Double(width) * Double(done) / Double(total))
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let extra = detail.isEmpty ? "" : "  " + detail
        let line = String(format: "\r%@ [%@] %d/%d%@  %.1f ex/s  ETA %.0fs \u{1B}[K", label, bar, done, total, extra, rate, eta)
        FileHandle.standardError.write(line.data(using: .utf8)!)
        if done == total { FileHandle.standardError.write("\n".data(using: .utf8)!) }
    }
}
