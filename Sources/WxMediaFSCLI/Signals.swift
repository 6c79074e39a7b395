import Dispatch
import Foundation

/// Waits for the first of some signals. The signals are reset to their default, unblocked (a process
/// started from a libdispatch thread can inherit them blocked), then ignored so a DispatchSource sees them.
enum Signals {
    static func wait(for signals: [Int32]) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let state = SignalState(continuation)
            for number in signals {
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, number)
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { state.fire() }
                source.resume()
                state.keep(source)
            }
        }
    }
}

private final class SignalState: @unchecked Sendable {
    private let lock = NSLock()  // guards everything below
    private var continuation: CheckedContinuation<Void, Never>?
    private var sources: [any DispatchSourceSignal] = []

    init(_ continuation: CheckedContinuation<Void, Never>) { self.continuation = continuation }

    func keep(_ source: any DispatchSourceSignal) { lock.withLock { sources.append(source) } }

    func fire() {
        let pending: CheckedContinuation<Void, Never>? = lock.withLock {
            defer { continuation = nil }
            return continuation
        }
        pending?.resume()
    }
}
