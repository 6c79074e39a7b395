import Testing
@testable import WxMediaFSCLI

/// The order a mount stops in (docs/architecture.md, "Shutdown"), driven event by event.
@Suite struct ShutdownSequenceTests {
    typealias Step = ShutdownSequence.Step

    @Test func aSignalStopsTheSessionAndTheServersFirstThenTheLoopsEndDrainsThenTheLockGoes() {
        var sequence = ShutdownSequence()
        #expect(sequence.signal() == [.stopSession, .armLoopDeadline, .closeServers])
        #expect(sequence.loopEnded(inTime: true) == [.closeSession(loopEnded: true), .drain], "the servers are closed once")
        #expect(sequence.loopEnded(inTime: false) == [], "the deadline reporting after the loop's own end asks for nothing")
        #expect(sequence.drained() == [.stopSyncing, .releaseCache])
        #expect(sequence.phase == .done)
        #expect(sequence.drained() == [])
    }

    @Test func anExternalUnmountClosesTheServersWhenTheLoopEnds() {
        var sequence = ShutdownSequence()
        #expect(sequence.loopEnded(inTime: true) == [.closeServers, .closeSession(loopEnded: true), .drain])
        #expect(sequence.signal() == [], "a first signal during the drain lets it finish")
        #expect(sequence.signal() == [.exitNow], "a second one exits at once")
    }

    @Test func aLoopThatDoesNotStopInTimeLeavesTheSessionToTheExit() {
        var sequence = ShutdownSequence()
        _ = sequence.signal()
        #expect(sequence.loopEnded(inTime: false) == [.closeSession(loopEnded: false), .drain])
        #expect(sequence.loopEnded(inTime: true) == [])
        #expect(sequence.signal() == [.exitNow])
    }

    @Test func theDemosOwnEndHasNoDeadlineAndStillClosesTheServers() {
        var sequence = ShutdownSequence()
        #expect(sequence.stopRequested() == [.stopSession])
        #expect(sequence.stopRequested() == [])
        #expect(sequence.loopEnded(inTime: true) == [.closeServers, .closeSession(loopEnded: true), .drain])
    }

    @Test func aFailedStartStopsWhatWasUpAndNothingElse() {
        var sequence = ShutdownSequence()
        #expect(sequence.failedToStart() == [.closeServers, .stopSyncing, .releaseCache])
        #expect(sequence.signal() == [])
        #expect(sequence.loopEnded(inTime: true) == [])
    }
}
