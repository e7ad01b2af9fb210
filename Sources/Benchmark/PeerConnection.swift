import Dispatch
import Experiments
import Foundation

/// The live peer's process group for the signal handler (0: none), the write end of the pipe that wakes the
/// watcher thread (-1: none), and the signal caught (0: none). Set only while a `PeerConnection` is open; one at a time.
nonisolated(unsafe) private var runningPeerGroup: pid_t = 0
nonisolated(unsafe) private var peerSignalPipe: Int32 = -1
nonisolated(unsafe) private var caughtPeerSignal: Int32 = 0

/// SIGINT/SIGTERM while a peer lives: pass it on to the peer's process group at once and wake the watcher thread,
/// which waits for the group, kills what is left, then makes qbench die of the same signal. Async-signal-safe only.
private func forwardSignalToPeer(_ sig: Int32) {
    caughtPeerSignal = sig
    if runningPeerGroup > 0 { kill(-runningPeerGroup, sig) }
    var byte = UInt8(truncatingIfNeeded: sig)
    if peerSignalPipe >= 0 { _ = write(peerSignalPipe, &byte, 1) }
}

/// One peer process, alive from `init` to `close`: its own process group, our commands on its stdin, its answers
/// read as lines from its stdout (at most `maxOutputBytes` over its life), the tail of its stderr kept for errors.
///
/// While it is open, SIGINT/SIGTERM to qbench are forwarded to the peer's group; qbench waits up to `killGrace` for
/// the group, SIGKILLs what is left and dies of the signal — also while qbench is busy with its own pass. SIGPIPE is
/// ignored so a dead peer's stdin is an error, not qbench's death. No member of the group outlives `close`.
final class PeerConnection {
    /// `python script`, for messages.
    let command: String
    let maxOutputBytes: Int
    let killGrace: Double
    private let pid: pid_t
    private var stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32
    private var sigPipe: [Int32]
    private var pending = Data(), stderrTail = Data()
    private var outputBytes = 0
    private var outOpen = true, errOpen = true
    private var status: Int32 = 0, exited = false, closed = false
    private let watcherDone = DispatchSemaphore(value: 0)
    private var oldInt: sighandler_t?, oldTerm: sighandler_t?, oldPipe: sighandler_t?

    /// Starts `executable args` in its own process group, with default SIGINT/SIGTERM/SIGPIPE and an empty mask.
    init(executable: String, args: [String], command: String, maxOutputBytes: Int, killGrace: Double) throws {
        precondition(runningPeerGroup == 0 && peerSignalPipe == -1, "one peer connection at a time")
        self.command = command
        self.maxOutputBytes = maxOutputBytes
        self.killGrace = killGrace
        var inPipe: [Int32] = [-1, -1], outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1], sig: [Int32] = [-1, -1]
        func makePipe(_ fds: inout [Int32], nonblockingWrite: Bool = false) -> Bool {
            guard pipe(&fds) == 0 else { return false }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            if nonblockingWrite { _ = fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK) }
            return true
        }
        guard makePipe(&inPipe), makePipe(&outPipe), makePipe(&errPipe), makePipe(&sig, nonblockingWrite: true) else {
            let reason = String(cString: strerror(errno))
            for fd in inPipe + outPipe + errPipe + sig where fd >= 0 { Foundation.close(fd) }
            throw ExperimentError.invalid("cannot start \(command): pipe: \(reason)")
        }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        defer { posix_spawnattr_destroy(&attr) }
        // Its own process group (signalled as one; Ctrl-C does not reach it directly), default signals, empty mask.
        posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        posix_spawnattr_setpgroup(&attr, 0)
        var defaults = sigset_t(), empty = sigset_t()
        sigemptyset(&defaults)
        for s in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, s) }
        sigemptyset(&empty)
        posix_spawnattr_setsigdefault(&attr, &defaults)
        posix_spawnattr_setsigmask(&attr, &empty)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + args).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = ProcessInfo.processInfo.environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for p in argv + envp { free(p) } }

        // Handlers before the spawn, so a signal between the two cannot orphan the peer.
        caughtPeerSignal = 0
        peerSignalPipe = sig[1]
        oldInt = signal(SIGINT, forwardSignalToPeer)
        oldTerm = signal(SIGTERM, forwardSignalToPeer)
        oldPipe = signal(SIGPIPE, SIG_IGN)
        var child: pid_t = 0
        let rc = posix_spawn(&child, executable, &actions, &attr, argv, envp)
        for fd in [inPipe[0], outPipe[1], errPipe[1]] { Foundation.close(fd) }
        stdinFD = inPipe[1]
        stdoutFD = outPipe[0]
        stderrFD = errPipe[0]
        sigPipe = sig
        pid = child
        guard rc == 0 else {
            restoreSignals()
            for fd in [stdinFD, stdoutFD, stderrFD] + sig { Foundation.close(fd) }
            stdinFD = -1; stdoutFD = -1; stderrFD = -1
            closed = true
            throw ExperimentError.invalid("cannot start \(command): \(String(cString: strerror(rc)))")
        }
        runningPeerGroup = child
        let readEnd = sig[0], done = watcherDone, grace = killGrace, group = child
        let watcher = Thread {
            var fd = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            while true {
                if poll(&fd, 1, -1) < 0 && errno == EINTR { continue }
                var byte: UInt8 = 0
                let n = read(readEnd, &byte, 1)
                if n < 0 && errno == EINTR { continue }
                if n == 1 && byte != 0 { PeerConnection.dieOfSignal(Int32(byte), group: group, grace: grace) }
                break  // 0: closing
            }
            done.signal()
        }
        watcher.start()
    }

    deinit { close() }

    /// Waits up to `grace` for the group leader, SIGKILLs the group, restores the default action and re-raises
    /// `sig`, so qbench dies of it as it would without a peer. Called from the watcher or a waiting loop.
    private static func dieOfSignal(_ sig: Int32, group: pid_t, grace: Double) -> Never {
        var st: Int32 = 0
        let end = Date().addingTimeInterval(grace)
        while Date() < end {
            let r = waitpid(group, &st, WNOHANG)
            if r == group || (r == -1 && errno == ECHILD) { break }
            usleep(20_000)
        }
        kill(-group, SIGKILL)
        while waitpid(group, &st, 0) == -1 && errno == EINTR {}
        signal(sig, SIG_DFL)
        raise(sig)
        while true { pause() }
    }

    /// Writes `line` and a newline to the peer's stdin.
    /// - Throws: when the peer no longer reads (it exited): the error names its exit status and stderr tail.
    func send(_ line: String) throws {
        let bytes = Array((line + "\n").utf8)
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress! + off, $0.count - off) }
            if n > 0 { off += n; continue }
            if n < 0 && errno == EINTR { continue }
            throw failure(whileDoing: "reading the command `\(line)`")
        }
    }

    /// The next line of the peer's stdout (without the newline), waiting at most `timeout` seconds.
    /// - Throws: on timeout, on more than `maxOutputBytes` of output, or when the peer exits first (each kills the
    ///   group; the message names the peer, what qbench was waiting for, and for an exit the stderr tail).
    func readLine(timeout: Double, waitingFor what: String) throws -> Data {
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        var scanned = 0  // bytes of `pending` known to hold no newline
        while true {
            if let nl = pending[(pending.startIndex + scanned)...].firstIndex(of: 10) {
                let line = Data(pending[pending.startIndex..<nl])
                pending = Data(pending[(nl + 1)...])
                return line
            }
            scanned = pending.count
            if caughtPeerSignal != 0 { Self.dieOfSignal(caughtPeerSignal, group: pid, grace: killGrace) }
            if !outOpen {
                // A last line without its newline still counts; after it, the peer has stopped talking.
                if !pending.isEmpty {
                    defer { pending = Data() }
                    return pending
                }
                throw failure(whileDoing: what)
            }
            reapIfExited()
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 {
                stopGroup()
                throw ExperimentError.invalid("peer \(command) did not answer within \(Self.seconds(timeout)) s "
                    + "(\(what); raise it with --peer-timeout or QBENCH_PEER_TIMEOUT); killed its process group")
            }
            var fds = [pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errOpen ? stderrFD : -1, events: Int16(POLLIN), revents: 0)]
            let n = poll(&fds, nfds_t(fds.count), Int32(min(remaining * 1000, 100)) + 1)
            if n < 0 && errno != EINTR { throw failure(whileDoing: what) }
            if fds[0].revents != 0 {
                let k = read(stdoutFD, &buffer, buffer.count)
                if k > 0 {
                    pending.append(contentsOf: buffer[0..<k])
                    outputBytes += k
                    if outputBytes > maxOutputBytes {
                        stopGroup()
                        throw ExperimentError.invalid("peer \(command) printed more than "
                            + "\(Self.megabytes(maxOutputBytes)) on stdout (a peer prints one JSON line per command); "
                            + "killed its process group")
                    }
                } else if k == 0 || errno != EINTR { outOpen = false }
            }
            if errOpen && fds[1].revents != 0 { drainStderr(&buffer) }
        }
    }

    /// Closes the peer's stdin and waits up to `timeout` for it to exit; returns normally only for exit status 0.
    func finish(timeout: Double, waitingFor what: String) throws {
        if stdinFD >= 0 { Foundation.close(stdinFD); stdinFD = -1 }
        let deadline = Date().addingTimeInterval(timeout)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while !exited {
            if caughtPeerSignal != 0 { Self.dieOfSignal(caughtPeerSignal, group: pid, grace: killGrace) }
            reapIfExited()
            if exited { break }
            if deadline.timeIntervalSinceNow <= 0 {
                stopGroup()
                throw ExperimentError.invalid("peer \(command) did not exit within \(Self.seconds(timeout)) s "
                    + "(\(what)); killed its process group")
            }
            var fds = [pollfd(fd: outOpen ? stdoutFD : -1, events: Int16(POLLIN), revents: 0),
                       pollfd(fd: errOpen ? stderrFD : -1, events: Int16(POLLIN), revents: 0)]
            _ = poll(&fds, 2, 50)
            if outOpen && fds[0].revents != 0 {
                let k = read(stdoutFD, &buffer, buffer.count)
                if k == 0 || (k < 0 && errno != EINTR) { outOpen = false }
            }
            if errOpen && fds[1].revents != 0 { drainStderr(&buffer) }
        }
        let failed = exitDescription()
        close()
        if let failed { throw ExperimentError.invalid("peer \(command) \(failed)" + stderrLines()) }
    }

    /// Kills the group (if alive), reaps the peer, closes every descriptor and restores the signal handlers.
    func close() {
        guard !closed else { return }
        closed = true
        stopGroup()
        var zero: UInt8 = 0
        _ = write(sigPipe[1], &zero, 1)  // the watcher ends
        watcherDone.wait()
        restoreSignals()
        for fd in [stdinFD, stdoutFD, stderrFD] + sigPipe where fd >= 0 { Foundation.close(fd) }
        stdinFD = -1; stdoutFD = -1; stderrFD = -1; sigPipe = [-1, -1]
    }

    private func restoreSignals() {
        runningPeerGroup = 0
        peerSignalPipe = -1
        if let oldInt { signal(SIGINT, oldInt) }
        if let oldTerm { signal(SIGTERM, oldTerm) }
        if let oldPipe { signal(SIGPIPE, oldPipe) }
    }

    /// The peer exited: nothing of its group may outlive it (or hold its pipes open).
    private func reapIfExited() {
        guard !exited else { return }
        let r = waitpid(pid, &status, WNOHANG)
        if r == pid || (r == -1 && errno == ECHILD) {
            exited = true
            kill(-pid, SIGKILL)
        }
    }

    /// SIGTERM to the group, up to `killGrace` for the peer to exit, then SIGKILL to whatever is left.
    private func stopGroup() {
        if !exited {
            kill(-pid, SIGTERM)
            let end = Date().addingTimeInterval(killGrace)
            while !exited && Date() < end {
                reapIfExited()
                if !exited { usleep(20_000) }
            }
        }
        kill(-pid, SIGKILL)
        while !exited {
            let r = waitpid(pid, &status, 0)
            if r == pid || (r == -1 && errno != EINTR) { exited = true }
        }
    }

    private func drainStderr(_ buffer: inout [UInt8]) {
        let k = read(stderrFD, &buffer, buffer.count)
        if k > 0 {
            stderrTail.append(contentsOf: buffer[0..<k])
            if stderrTail.count > 128 << 10 { stderrTail = Data(stderrTail.suffix(64 << 10)) }
        } else if k == 0 || errno != EINTR { errOpen = false }
    }

    /// The error for a peer that stopped talking: waits (up to `killGrace`) for it to exit and for the rest of its
    /// stderr, then kills the group; names the exit status or signal and the last 12 lines of stderr.
    private func failure(whileDoing what: String) -> ExperimentError {
        let end = Date().addingTimeInterval(killGrace)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while (!exited || errOpen) && Date() < end {
            reapIfExited()
            var fd = pollfd(fd: errOpen ? stderrFD : -1, events: Int16(POLLIN), revents: 0)
            _ = poll(&fd, 1, 20)
            if errOpen && fd.revents != 0 { drainStderr(&buffer) }
        }
        stopGroup()
        let how = exitDescription() ?? "exited with status 0"
        return ExperimentError.invalid("peer \(command) \(how) while \(what)" + stderrLines())
    }

    /// nil for exit status 0, else `exited with status N` / `was killed by signal N`.
    private func exitDescription() -> String? {
        let normal = (status & 0x7f) == 0
        let code = (status >> 8) & 0xff, sig = status & 0x7f
        if normal && code == 0 { return nil }
        return normal ? "exited with status \(code)" : "was killed by signal \(sig)"
    }

    /// `:\n<last 12 lines of stderr>`, or nothing.
    private func stderrLines() -> String {
        let tail = String(decoding: stderrTail, as: UTF8.self).split(separator: "\n").suffix(12).joined(separator: "\n")
        return tail.isEmpty ? "" : ":\n\(tail)"
    }

    /// `1`, `2.5`: seconds as given, without a trailing `.0`.
    static func seconds(_ s: Double) -> String {
        s == s.rounded() && abs(s) < 1e15 ? String(Int(s)) : String(s)
    }

    /// `16 MB` (binary megabytes), or bytes below one.
    static func megabytes(_ n: Int) -> String {
        n >= 1 << 20 ? "\(n >> 20) MB" : "\(n) bytes"
    }
}
