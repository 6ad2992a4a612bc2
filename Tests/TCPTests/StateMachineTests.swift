import LibP2PConformance
import LibP2PCore
import NIOCore
import Testing

@testable import LibP2PTCP
@testable import LibP2PSockets

/// The pure state machines behind the connection and the listener, without sockets.
@Suite struct StateMachineTests {
    func chunk(_ count: Int) -> ByteBuffer { ByteBuffer(repeating: 1, count: count) }

    @Test func inboundWithholdsReadsAtTheHighWatermarkAndResumesBelowTheLow() {
        var state = InboundState(highWatermark: 100, lowWatermark: 40)
        let mayRead = state.shouldRead()
        #expect(mayRead)
        for _ in 0..<4 { _ = state.receive(chunk(30)) }
        #expect(state.bufferedBytes == 120)
        let mayReadWhenFull = state.shouldRead()
        #expect(!mayReadWhenFull, "full: the socket read must be withheld")
        #expect(state.readWithheld)

        guard case .chunk(_, let resume1) = state.read() else { Issue.record("expected a chunk"); return }
        #expect(!resume1, "90 bytes left: still above the low watermark")
        guard case .chunk(_, false) = state.read() else { Issue.record("expected a chunk, no resume"); return }
        guard case .chunk(_, true) = state.read() else { Issue.record("30 bytes left: resume reading"); return }
        #expect(!state.readWithheld)
        let mayReadAgain = state.shouldRead()
        #expect(mayReadAgain)
    }

    @Test func inboundDrainsBeforeEndOfStreamAndIgnoresEmptyChunks() {
        var state = InboundState(highWatermark: 100, lowWatermark: 40)
        _ = state.receive(chunk(0))
        _ = state.receive(chunk(5))
        let parked = state.finish(.eof)
        #expect(parked.isEmpty)
        guard case .chunk(let c, _) = state.read() else { Issue.record("queued bytes come first"); return }
        #expect(c.readableBytes == 5)
        guard case .end = state.read() else { Issue.record("then the end"); return }
    }

    @Test func inboundFailureComesAfterQueuedBytesAndLocalCloseDropsThem() {
        var failing = InboundState(highWatermark: 100, lowWatermark: 40)
        _ = failing.receive(chunk(5))
        _ = failing.finish(.failed(.connectionFailed("/ip4/1.2.3.4/tcp/5", reason: "reset")))
        guard case .chunk = failing.read() else { Issue.record("queued bytes first"); return }
        guard case .fail(let error) = failing.read() else { Issue.record("then the failure"); return }
        #expect((error as? TCPError) == .connectionFailed("/ip4/1.2.3.4/tcp/5", reason: "reset"))

        var closing = InboundState(highWatermark: 100, lowWatermark: 40)
        _ = closing.receive(chunk(5))
        _ = closing.finish(.eof)
        _ = closing.finish(.closedLocally)
        #expect(closing.bufferedBytes == 0)
        guard case .end = closing.read() else { Issue.record("a local close ends reading at once"); return }
        _ = closing.finish(.eof)
        guard case .closedLocally? = closing.end else { Issue.record("a later EOF changes nothing"); return }
    }

    @Test func outboundWaitsAboveTheHighWatermarkUntilBelowTheLow() throws {
        var state = OutboundState(highWatermark: 100, lowWatermark: 40)
        try state.startWrite(60)
        #expect(!state.mustWait)
        try state.startWrite(60)
        #expect(state.mustWait)
        _ = state.completed(60, error: nil)
        #expect(state.pendingBytes == 60)
        _ = state.completed(30, error: nil)
        #expect(state.pendingBytes == 30)
    }

    @Test func outboundWaitsAboveTheMostPendingWritesUntilAQuarterIsLeft() throws {
        var state = OutboundState(highWatermark: 1 << 20, lowWatermark: 1 << 18)
        for _ in 0..<OutboundState.maxPendingWrites { try state.startWrite(1) }
        #expect(!state.mustWait, "a few bytes in many writes: still under the count")
        try state.startWrite(1)
        #expect(state.mustWait, "one write past the count must wait")
        let quarter = OutboundState.maxPendingWrites / 4
        for _ in 0..<(OutboundState.maxPendingWrites + 1 - quarter - 1) { _ = state.completed(1, error: nil) }
        #expect(try !state.mayContinue(), "more than a quarter still pending")
        _ = state.completed(1, error: nil)
        #expect(state.pendingWrites == quarter)
        #expect(try state.mayContinue())
    }

    @Test func outboundFailureFailsLaterWrites() throws {
        var state = OutboundState(highWatermark: 100, lowWatermark: 40)
        try state.startWrite(10)
        _ = state.completed(10, error: StreamError.closed)
        #expect(throws: StreamError.closed) { var copy = state; try copy.startWrite(1) }
        _ = state.end(StreamError.reset)
        #expect(throws: StreamError.closed, "the first failure is the one reported") {
            var copy = state
            try copy.startWrite(1)
        }
    }

    @Test func acceptQueueWithholdsAcceptingAtItsLimitAndResumesOnPop() {
        var state = AcceptState<Int>(limit: 2)
        guard case .wait = state.pop() else { Issue.record("an empty queue waits"); return }
        for n in 1...2 {
            guard case .queued = state.push(n) else { Issue.record("no waiter: queued"); return }
        }
        let mayAccept = state.shouldAccept()
        #expect(!mayAccept, "full: accepting must be withheld")
        guard case .connection(1, resumeAccepting: true) = state.pop() else {
            Issue.record("oldest first, and accepting resumes")
            return
        }
        guard case .connection(2, resumeAccepting: false) = state.pop() else {
            Issue.record("nothing withheld any more")
            return
        }
        let mayAcceptAgain = state.shouldAccept()
        #expect(mayAcceptAgain)
    }

    @Test func closedAcceptQueueEndsAcceptAndRejectsLateConnections() {
        var state = AcceptState<Int>(limit: 4)
        _ = state.push(7)
        let (acceptors, unaccepted) = state.close()
        #expect(acceptors.isEmpty)
        #expect(unaccepted == [7], "connections nobody accepted are handed back to be closed")
        guard case .closed = state.pop() else { Issue.record("a closed queue ends accept()"); return }
        guard case .rejected = state.push(8) else { Issue.record("a closed queue rejects"); return }
    }
}
