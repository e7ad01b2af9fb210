import Foundation

/// Progress on stderr: on a terminal a one-line bar redrawn in place (examples/s, ETA); in a log (stderr not a
/// terminal) one plain line every `logInterval` seconds and one at the end, so long steps are visible there too.
final class ProgressBar {
    /// Text before the bar; may change between updates (e.g. the scheme a sweep is on).
    var label: String
    private let terminal: Bool
    private let logInterval: TimeInterval
    private var start = Date()
    private var lastDone = 0
    private var lastTotal = 0
    private var lastDraw = Date.distantPast
    private var lastLog: Date

    init(label: String, terminal: Bool = isatty(2) != 0, logInterval: TimeInterval = 30) {
        self.label = label
        self.terminal = terminal
        self.logInterval = logInterval
        self.lastLog = Date()
    }

    func update(_ done: Int, _ total: Int) {
        update(done, total, detail: "")
    }

    /// Draws the bar (or logs a line) with `detail` (e.g. "loss 0.512") after the counts.
    func update(_ done: Int, _ total: Int, detail: String) {
        guard total > 0 else { return }
        let now = Date()
        if total != lastTotal || done < lastDone { start = now }   // a new step (counts restart): new rate and ETA
        lastDone = done
        lastTotal = total
        let elapsed = now.timeIntervalSince(start)
        let rate = elapsed > 0 ? Double(done) / elapsed : 0
        let eta = rate > 0 ? Double(total - done) / rate : 0
        let extra = detail.isEmpty ? "" : "  " + detail
        if terminal {
            guard done == total || now.timeIntervalSince(lastDraw) > 0.1 else { return }
            lastDraw = now
            let width = 30
            let filled = Int(Double(width) * Double(done) / Double(total))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            let line = String(format: "\r%@ [%@] %d/%d%@  %.1f ex/s  ETA %.0fs \u{1B}[K", label, bar, done, total, extra, rate, eta)
            FileHandle.standardError.write(Data(line.utf8))
            if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
        } else {
            guard done == total || now.timeIntervalSince(lastLog) >= logInterval else { return }
            lastLog = now
            let line = String(format: "%@: %d/%d%@  %.1f ex/s  elapsed %.0fs  ETA %.0fs\n", label, done, total, extra,
                              rate, elapsed, eta)
            FileHandle.standardError.write(Data(line.utf8))
        }
    }
}
