import LibP2PCore
import LibP2PRegistry
import NIOCore

/// Checks of the bounds a muxer keeps against its peer: a reader that does not read,
/// and a peer that breaks the protocol.
extension MuxerConformance {
    /// How a writer facing a reader that reads nothing stopped.
    private enum StoppedWriter {
        /// It waits (backpressure) after getting `written` bytes accepted.
        case waiting(written: Int)
        /// Its stream was reset (a muxer without flow control refusing to buffer more).
        case refused(written: Int, error: any Error)
    }

    func checkSlowReader(writer role: MuxerRole, _ context: CheckContext) async throws {
        let bound = limits.slowReaderBound
        let total = 2 * bound
        try await withSessionPair(context) { pair in
            let writerSession = pair.session(role)
            let readerSession = pair.session(role.other)

            // A stream whose reader reads nothing until the writer has stopped.
            let stream = try await context.step("the writer's openStream()") { try await writerSession.openStream() }
            let written = SharedValue(0)
            let writerEnd = AsyncLatch<Result<Void, any Error>>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    writerEnd.set(
                        await outcome {
                            try await writePattern(to: stream, start: 77, count: total, chunk: 64 << 10) { written.set($0) }
                            try await stream.closeWrite()
                        })
                }
                let accepted = try await context.step("the reader's acceptStream()") { try await readerSession.acceptStream() }
                guard let accepted else { throw context.failure("the reader's acceptStream() returned nil") }
                let stopped = try await waitUntilWriterStops(written, writerEnd, bound: bound, total: total, pipe: pair.pipes?.end(role), context)

                try await otherStreamsFlow(from: writerSession, to: readerSession, context)

                switch stopped {
                case .waiting:
                    try await context.step("the slow reader finally reads all \(total) bytes") {
                        try await readAndVerifyPattern(from: accepted, start: 77, count: total, context: context, what: "the slow reader's read")
                    }
                    let end = try await context.promptly("the writer finishing once the reader reads") { await writerEnd.wait() }
                    if case .failure(let error)? = end {
                        throw context.failure("the writer failed with \(describe(error)) although the reader read everything in the end")
                    }
                case .refused(let count, _):
                    // The reader gets at most what was written, then a failure: a stream cut
                    // for overflow must not look like a clean end.
                    try await context.promptly("the slow reader reading its refused stream") {
                        // The failed write may have delivered part of its chunk.
                        var verifier = PatternVerifier(start: 77, expected: count + (64 << 10))
                        do {
                            while let chunk = try await accepted.read() {
                                if let problem = verifier.consume(chunk) { throw context.failure("the slow reader's read: \(problem)") }
                            }
                        } catch let failure as ConformanceFailure {
                            throw failure
                        } catch {
                            return  // the reset, as it should be
                        }
                        throw context.failure(
                            "the writer's stream was refused after \(count) bytes, but the reader saw a clean end of stream after \(verifier.received)")
                    }
                }
                await accepted.close()
                try await group.awaitAll()
            }
            await stream.close()

            // A writer waiting for its slow reader fails promptly when the reader resets.
            let second = try await context.step("the writer's second openStream()") { try await writerSession.openStream() }
            let written2 = SharedValue(0)
            let writerEnd2 = AsyncLatch<Result<Void, any Error>>()
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    writerEnd2.set(
                        await outcome { try await writePattern(to: second, start: 78, count: total, chunk: 64 << 10) { written2.set($0) } })
                }
                let accepted = try await context.step("the reader's second acceptStream()") { try await readerSession.acceptStream() }
                guard let accepted else { throw context.failure("the reader's second acceptStream() returned nil") }
                let stopped = try await waitUntilWriterStops(written2, writerEnd2, bound: bound, total: total, pipe: pair.pipes?.end(role), context)
                if case .waiting(let count) = stopped {
                    context.note("the slow reader's reset() while the writer waits after \(count) bytes")
                    await accepted.reset()
                    let end = try await context.promptly("the waiting writer failing after the reader's reset") { await writerEnd2.wait() }
                    if case .success? = end {
                        throw context.failure("the writer finished all \(total) bytes although its reader reset the stream after reading none")
                    }
                }
                try await group.awaitAll()
            }
            await second.close()
        }
    }

    /// Samples the writer's progress until it stops: it waits (no progress over a few
    /// samples) or fails. Fails the check as soon as more than `bound` bytes were
    /// accepted, or all `total`, while the reader read nothing.
    private func waitUntilWriterStops(
        _ written: SharedValue<Int>, _ writerEnd: AsyncLatch<Result<Void, any Error>>,
        bound: Int, total: Int, pipe: MemoryByteStream?, _ context: CheckContext
    ) async throws -> StoppedWriter {
        context.note("waiting for the writer to stop while its reader reads nothing")
        var last = -1
        var quietSamples = 0
        while true {
            try await Task.sleep(for: .milliseconds(25))
            let now = written.value
            if now > bound {
                throw context.failure(
                    "the writer got \(now) bytes accepted while its reader read nothing\(pipe.map { " (\($0.bytesInFlight) of them in the pipe)" } ?? ""); at most \(bound) may be buffered")
            }
            switch writerEnd.current {
            case .success?:
                throw context.failure("the writer got all \(total) bytes accepted while its reader read nothing: nothing bounds what is buffered")
            case .failure(let error)?:
                return .refused(written: now, error: error)
            case nil:
                break
            }
            if now == last {
                quietSamples += 1
                if quietSamples == 4 { return .waiting(written: now) }
            } else {
                last = now
                quietSamples = 0
            }
        }
    }

    /// While one stream is stuck, a new stream in the same direction still carries data.
    private func otherStreamsFlow(
        from writerSession: any MuxedConnection, to readerSession: any MuxedConnection, _ context: CheckContext
    ) async throws {
        try await context.promptly("a second stream carrying data while the first is stuck") {
            let (opened, accepted) = try await openAndAccept(writerSession, readerSession, context)
            try await transfer(64 << 10, start: 79, from: opened, to: accepted, closing: true, context, "the second stream")
            await opened.close()
            await accepted.close()
        }
    }

    func checkProtocolViolations(sessionRole role: MuxerRole, _ context: CheckContext) async throws {
        guard case .muxer = source else {
            throw context.failure(
                "protocol violations are written into a muxer's byte stream, and a transport's sessions have none: run `MuxerConformance.transportChecks`")
        }
        guard !violations.isEmpty else {
            throw context.failure(
                "no violations were given: pass frames that break the protocol's stream-ID and flag rules as `violations:` (MuxerConformance.Violation)")
        }
        for violation in violations {
            let violationContext = context.variant("the peer sends \(violation.name)")
            try await checkViolation(violation.bytes(role), sessionRole: role, violationContext)
        }
    }

    /// A session under test faces a raw peer that drains what it sends and then writes
    /// `bytes`: `run()` must throw, and every pending operation must end.
    private func checkViolation(_ bytes: [UInt8], sessionRole role: MuxerRole, _ context: CheckContext) async throws {
        let (sessionEnd, peerEnd) = MemoryPipe.makePair(capacity: limits.pipeCapacity)
        guard case .muxer(let muxer) = source else { preconditionFailure("checked by checkProtocolViolations") }
        let session = muxer.makeSession(over: sessionEnd, role: role)
        let cleanUp: @Sendable () async -> Void = {
            await session.close()
            await sessionEnd.close()
            await peerEnd.close()
        }
        try await withDeadline(limits.timeout, context, onTimeout: cleanUp) {
            let runEnd = AsyncLatch<Result<Void, any Error>>()
            let acceptEnd = AsyncLatch<Result<Int, any Error>>()
            let readEnd = AsyncLatch<Result<ByteBuffer?, any Error>>()
            let writeEnd = AsyncLatch<Result<Void, any Error>>()
            let checkOutcome = await outcome {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { runEnd.set(await outcome { try await session.run() }) }
                    // The peer reads everything, so the session never waits on the pipe.
                    group.addTask { while case .success(.some) = await outcome({ try await peerEnd.read() }) {} }
                    let stream = try await context.step("openStream() on the session under test") { try await session.openStream() }
                    try await context.step("a first write on that stream") { try await stream.write([0x2A]) }
                    group.addTask {
                        acceptEnd.set(
                            await outcome {
                                var count = 0
                                while try await session.acceptStream() != nil { count += 1 }
                                return count
                            })
                    }
                    group.addTask { readEnd.set(await outcome { try await stream.read() }) }
                    group.addTask {
                        writeEnd.set(await outcome { try await writePattern(to: stream, start: 3, count: 4 << 20, chunk: 64 << 10) })
                    }
                    try await letPendingOperationsPark()
                    // Written by a task of its own: a session that stops reading without
                    // closing must not block the check.
                    group.addTask { _ = try? await peerEnd.write(ByteBuffer(bytes: bytes)) }

                    let run = try await context.promptly("run() ending after the violation") { await runEnd.wait() }
                    if case .success? = run {
                        throw context.failure("run() returned normally after the violation; it must throw")
                    }
                    let accept = try await context.promptly("the pending acceptStream() ending after the violation") { await acceptEnd.wait() }
                    _ = accept  // nil or an error both end it; streams the bytes opened legitimately are fine.
                    let read = try await context.promptly("the pending read ending after the violation") { await readEnd.wait() }
                    if case .success(let chunk?)? = read {
                        throw context.failure("the pending read returned \(chunk.readableBytes) bytes the peer never sent on that stream")
                    }
                    _ = try await context.promptly("the pending write ending after the violation") { await writeEnd.wait() }
                    let write = await outcome { try await stream.write([1]) }
                    try context.require(write.isFailure, "a write after run() threw succeeded; it must fail")
                    let open = await outcome { try await session.openStream() }
                    try context.require(open.isFailure, "openStream() after run() threw succeeded; it must fail")
                    await cleanUp()
                    try await group.awaitAll()
                }
            }
            await cleanUp()
            try checkOutcome.get()
        }
    }
}
