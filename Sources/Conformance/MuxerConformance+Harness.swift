import LibP2PCore
import LibP2PRegistry

/// The two ends of the `MemoryPipe` under a muxer's sessions.
struct PipeEnds: Sendable {
    let initiator: MemoryByteStream
    let responder: MemoryByteStream

    /// The pipe end the session of `role` reads and writes.
    func end(_ role: MuxerRole) -> MemoryByteStream { role == .initiator ? initiator : responder }

    func close() async {
        await initiator.close()
        await responder.close()
    }
}

/// Two sessions under test, an initiator (the dialer's) and a responder (the
/// listener's): a muxer's over a `MemoryPipe`, or a transport's own over a real
/// connection.
struct SessionPair: Sendable {
    let initiator: any MuxedConnection
    let responder: any MuxedConnection
    /// Set for a muxer's sessions.
    let pipes: PipeEnds?
    /// Set for a transport's: closed after the sessions (a UDP listener's socket
    /// carries its connections).
    let listener: (any ConnectionListener)?
    private let initiatorRun = AsyncLatch<Result<Void, any Error>>()
    private let responderRun = AsyncLatch<Result<Void, any Error>>()

    init(muxer: any MuxerProtocol, pipeCapacity: Int) {
        let (a, b) = MemoryPipe.makePair(capacity: pipeCapacity)
        pipes = PipeEnds(initiator: a, responder: b)
        listener = nil
        initiator = muxer.makeSession(over: a, role: .initiator)
        responder = muxer.makeSession(over: b, role: .responder)
    }

    private init(initiator: any MuxedConnection, responder: any MuxedConnection, listener: any ConnectionListener) {
        self.initiator = initiator
        self.responder = responder
        self.pipes = nil
        self.listener = listener
    }

    /// A connection from a dialer host to a listener host of `transport`, each
    /// with an identity of its own; the sessions are the two ends' own.
    static func connected(
        _ transport: any Transport, listenOn address: Multiaddr, securities: [any SecurityProtocol],
        muxers: [any MuxerProtocol], _ context: CheckContext
    ) async throws -> SessionPair {
        let dialer = Upgrader(identity: .generateEd25519(), securities: securities, muxers: muxers)
        let listening = Upgrader(identity: .generateEd25519(), securities: securities, muxers: muxers)
        try transport.prepare(identity: dialer.identity)
        try transport.prepare(identity: listening.identity)
        let listener = try await context.step("listen(on:upgrader:)") {
            try await transport.listen(on: address, upgrader: listening)
        }
        do {
            guard let bound = listener.localAddresses.first else {
                throw context.failure("the listener reports no address")
            }
            let (outbound, accepted) = try await connectAndAccept(
                transport, to: bound.appending(.p2p(listening.localPeer)), upgrader: dialer, listener: listener, context)
            return SessionPair(initiator: outbound.session, responder: accepted.session, listener: listener)
        } catch {
            await listener.close()
            throw error
        }
    }

    func session(_ role: MuxerRole) -> any MuxedConnection {
        role == .initiator ? initiator : responder
    }

    func runOutcome(_ role: MuxerRole) -> AsyncLatch<Result<Void, any Error>> {
        role == .initiator ? initiatorRun : responderRun
    }

    /// Runs the session's `run()` and records how it ended.
    func drive(_ role: MuxerRole) async {
        runOutcome(role).set(await outcome { try await session(role).run() })
    }

    /// Closes both sessions and what carries them: whatever still waits must wake.
    func closeEverything() async {
        await initiator.close()
        await responder.close()
        await closeCarriers()
    }

    /// The pipe ends or the listener, once the sessions are done.
    func closeCarriers() async {
        await pipes?.close()
        await listener?.close()
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
        let pair: SessionPair
        switch source {
        case .muxer(let muxer):
            pair = SessionPair(muxer: muxer, pipeCapacity: limits.pipeCapacity)
        case .transport(let transport, let address, let securities, let muxers):
            pair = try await withDeadline(limits.timeout, context) {
                try await SessionPair.connected(transport, listenOn: address, securities: securities, muxers: muxers, context)
            }
        }
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
                await pair.closeCarriers()

                if case .failure(let error) = bodyOutcome {
                    throw Self.explain(error, context: context, alongside: pair.runFailures)
                }
                for role in cleanRuns where demandsCleanRuns {
                    if case .failure(let error)? = pair.runOutcome(role).current {
                        throw context.failure("the \(role)'s run() threw \(describe(error)); the sessions were only closed cleanly")
                    }
                }
            }
        }
    }

    /// Whether a session's `run()` must end without throwing after both sides
    /// closed. Not over a byte-stream transport's real socket: a muxer that closes
    /// its socket while its peer's last frames (window updates, go-away) are still
    /// arriving makes the kernel answer them with a reset, which the peer's `run()`
    /// reports. A pipe, or a standalone transport's own close, has no such race.
    var demandsCleanRuns: Bool {
        switch source {
        case .muxer: return true
        case .transport(let transport, _, _, _): return transport.isStandalone
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
