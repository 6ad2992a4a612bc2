import LibP2PCore
import LibP2PRegistry

/// Two sessions of the muxer under test, an initiator and a responder, over the two
/// ends of a `MemoryPipe`, with their `run()` loops running.
struct SessionPair: Sendable {
    let initiator: any MuxedConnection
    let responder: any MuxedConnection
    let initiatorPipe: MemoryByteStream
    let responderPipe: MemoryByteStream
    private let initiatorRun = AsyncLatch<Result<Void, any Error>>()
    private let responderRun = AsyncLatch<Result<Void, any Error>>()

    init(muxer: any MuxerProtocol, pipeCapacity: Int) {
        (initiatorPipe, responderPipe) = MemoryPipe.makePair(capacity: pipeCapacity)
        initiator = muxer.makeSession(over: initiatorPipe, role: .initiator)
        responder = muxer.makeSession(over: responderPipe, role: .responder)
    }

    func session(_ role: MuxerRole) -> any MuxedConnection {
        role == .initiator ? initiator : responder
    }

    /// The pipe end the session of `role` reads and writes.
    func pipe(_ role: MuxerRole) -> MemoryByteStream {
        role == .initiator ? initiatorPipe : responderPipe
    }

    func runOutcome(_ role: MuxerRole) -> AsyncLatch<Result<Void, any Error>> {
        role == .initiator ? initiatorRun : responderRun
    }

    /// Runs the session's `run()` and records how it ended.
    func drive(_ role: MuxerRole) async {
        runOutcome(role).set(await outcome { try await session(role).run() })
    }

    /// Closes both sessions and both pipe ends: whatever still waits must wake.
    func closeEverything() async {
        await initiator.close()
        await responder.close()
        await initiatorPipe.close()
        await responderPipe.close()
    }

    /// What the `run()` calls have thrown so far, for failure messages.
    var runFailures: String {
        [MuxerRole.initiator, .responder].compactMap { role in
            if case .failure(let error)? = runOutcome(role).current {
                return "the \(role)'s run() threw \(describe(error))"
            }
            return nil
        }.joined(separator: "; ")
    }
}

extension MuxerConformance {
    /// Runs `body` with a running session pair, bounded by `limits.timeout`; then
    /// closes both sessions and requires both `run()` calls to return, those of
    /// `cleanRuns` without throwing (the checks end sessions cleanly unless they say).
    func withSessionPair(
        _ context: CheckContext, cleanRuns: [MuxerRole] = [.initiator, .responder],
        _ body: @escaping @Sendable (SessionPair) async throws -> Void
    ) async throws {
        let pair = SessionPair(muxer: muxer, pipeCapacity: limits.pipeCapacity)
        try await withDeadline(limits.timeout, context, onTimeout: { await pair.closeEverything() }) {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { await pair.drive(.initiator) }
                group.addTask { await pair.drive(.responder) }
                let bodyOutcome = await outcome { try await body(pair) }

                context.note("closing both sessions after the check")
                await pair.initiator.close()
                await pair.responder.close()
                context.note("waiting for both run() calls to return after close()")
                try await group.awaitAll()
                await pair.initiatorPipe.close()
                await pair.responderPipe.close()

                if case .failure(let error) = bodyOutcome {
                    throw Self.explain(error, context: context, alongside: pair.runFailures)
                }
                for role in cleanRuns {
                    if case .failure(let error)? = pair.runOutcome(role).current {
                        throw context.failure("the \(role)'s run() threw \(describe(error)); the sessions were only closed cleanly")
                    }
                }
            }
        }
    }

    /// A body's error as a `ConformanceFailure`, with what the run loops reported.
    static func explain(_ error: any Error, context: CheckContext, alongside runFailures: String) -> ConformanceFailure {
        let base = (error as? ConformanceFailure) ?? context.failure("\(context.stepInProgress) failed: \(describe(error))")
        guard !runFailures.isEmpty else { return base }
        return ConformanceFailure(
            suite: base.suite, check: base.check, role: base.role, reason: base.reason + " (meanwhile \(runFailures))")
    }
}

/// Opens a stream on `opener` and accepts it on `acceptor`. The opener writes
/// `greeting` first, since a muxer may announce a stream only with its first data;
/// the acceptor reads it.
func openAndAccept(
    _ opener: any MuxedConnection, _ acceptor: any MuxedConnection, greeting: [UInt8] = [0x2A],
    _ context: CheckContext
) async throws -> (opened: any MuxedStream, accepted: any MuxedStream) {
    let opened = try await context.step("openStream()") { try await opener.openStream() }
    try await context.step("writing the first bytes on the opened stream") { try await opened.write(greeting) }
    let accepted = try await context.step("acceptStream()") { try await acceptor.acceptStream() }
    guard let accepted else { throw context.failure("acceptStream() returned nil while the session was open") }
    let got = try await context.step("reading the first bytes on the accepted stream") {
        try await readExactly(greeting.count, from: accepted)
    }
    try context.require(got == greeting, "the accepted stream's first bytes are \(got), the opener wrote \(greeting)")
    return (opened, accepted)
}
