import Dispatch
import Foundation

/// Delivers signals as an async sequence. The signals are reset to their default, unblocked (a process started
/// from a libdispatch thread can inherit them blocked), then ignored so that DispatchSources see them.
enum Signals {
    static func stream(_ signals: [Int32]) -> AsyncStream<Int32> {
        AsyncStream { continuation in
            var sources: [any DispatchSourceSignal] = []
            for number in signals {
                var set = sigset_t()
                sigemptyset(&set)
                sigaddset(&set, number)
                pthread_sigmask(SIG_UNBLOCK, &set, nil)
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { continuation.yield(number) }
                source.resume()
                sources.append(source)
            }
            let kept = SourceBox(sources)
            continuation.onTermination = { _ in
                kept.cancel()
                for number in signals { signal(number, SIG_DFL) }  // no longer watched: a signal acts again
            }
        }
    }

    /// Waits for the first of `signals`.
    static func wait(for signals: [Int32]) async {
        for await _ in stream(signals) { return }
    }
}

/// Keeps the sources alive as long as the stream (DispatchSource is not Sendable; it is only cancelled here).
private final class SourceBox: @unchecked Sendable {
    private let sources: [any DispatchSourceSignal]
    init(_ sources: [any DispatchSourceSignal]) { self.sources = sources }
    func cancel() { sources.forEach { $0.cancel() } }
}
