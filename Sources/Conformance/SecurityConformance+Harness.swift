import LibP2PCore
import LibP2PRegistry

/// What one handshake of a check is run with.
struct HandshakeSetup: Sendable {
    static let yamux = "/yamux/1.0.0"
    static let mplex = "/mplex/6.7.0"

    var initiatorIdentity = PrivateKey.generateEd25519()
    var responderIdentity = PrivateKey.generateEd25519()
    /// The peer the dialer expects: the responder's unless set; `.some(nil)` for none.
    var expecting: PeerID?? = nil
    var initiatorMuxers = [yamux, mplex]
    var responderMuxers = [yamux, mplex]
    /// Cut this side's output after this many bytes.
    var cut: (side: MuxerRole, after: Int)?

    func identity(_ role: MuxerRole) -> PrivateKey {
        role == .initiator ? initiatorIdentity : responderIdentity
    }
}

/// Both sides' results of one handshake over a `MemoryPipe`, failures included.
struct HandshakeOutcome: Sendable {
    let initiator: Result<any SecureChannel, any Error>
    let responder: Result<any SecureChannel, any Error>
    let initiatorTap: CutoffByteStream
    let responderTap: CutoffByteStream

    func result(_ role: MuxerRole) -> Result<any SecureChannel, any Error> {
        role == .initiator ? initiator : responder
    }

    /// Bytes the side wrote during the handshake (what reached the pipe).
    func bytesWritten(_ role: MuxerRole) -> Int {
        (role == .initiator ? initiatorTap : responderTap).bytesWritten
    }

    /// Both channels, or a failure naming the side that did not complete.
    func channels(_ context: CheckContext) throws -> (initiator: any SecureChannel, responder: any SecureChannel) {
        switch (initiator, responder) {
        case (.success(let i), .success(let r)):
            return (i, r)
        case (.failure(let error), _):
            throw context.failure("the initiator's handshake failed: \(describe(error))\(sideNote(responder, "responder"))")
        case (_, .failure(let error)):
            throw context.failure("the responder's handshake failed: \(describe(error))\(sideNote(initiator, "initiator"))")
        }
    }

    private func sideNote(_ result: Result<any SecureChannel, any Error>, _ name: String) -> String {
        if case .failure(let error) = result { return "; the \(name)'s failed too: \(describe(error))" }
        return ""
    }

    /// Whether the side's output was actually cut (a write crossed its limit).
    func wasCut(_ role: MuxerRole) -> Bool {
        (role == .initiator ? initiatorTap : responderTap).didCut
    }

    func closeAll() async {
        if case .success(let channel) = initiator { await channel.close() }
        if case .success(let channel) = responder { await channel.close() }
        await initiatorTap.close()
        await responderTap.close()
    }
}

extension SecurityConformance {
    /// Runs both sides of a handshake at once (each side's result kept, failures
    /// included), then `body`; the handshake is bounded by `limits.promptness`, the
    /// whole by `limits.timeout`; everything is closed afterwards.
    func withHandshake(
        _ setup: HandshakeSetup, _ context: CheckContext,
        _ body: @escaping @Sendable (HandshakeOutcome) async throws -> Void
    ) async throws {
        let (a, b) = MemoryPipe.makePair(capacity: limits.pipeCapacity)
        let initiatorTap = CutoffByteStream(a, limit: setup.cut?.side == .initiator ? setup.cut!.after : .max)
        let responderTap = CutoffByteStream(b, limit: setup.cut?.side == .responder ? setup.cut!.after : .max)
        let closePipes: @Sendable () async -> Void = {
            await a.close()
            await b.close()
        }
        let security = self.security
        try await withDeadline(limits.timeout, context, onTimeout: closePipes) {
            context.note("the handshake (both sides)")
            let ended = SharedValue<[String]>([])
            let side: @Sendable (String, () async throws -> any SecureChannel) async -> Result<any SecureChannel, any Error> = { name, handshake in
                let result = await outcome(handshake)
                ended.update { $0.append("the \(name) \((try? result.get()) == nil ? "failed" : "completed")") }
                return result
            }
            let handshake = try await withDeadline(
                limits.promptness, context, what: "the handshake (\(ended.value.isEmpty ? "neither side ended" : ended.value.joined(separator: ", ")))",
                onTimeout: closePipes
            ) {
                async let initiator = side("initiator") {
                    try await security.secureOutbound(
                        initiatorTap, identity: setup.initiatorIdentity,
                        expecting: setup.expecting ?? setup.responderIdentity.peerID, muxers: setup.initiatorMuxers)
                }
                async let responder = side("responder") {
                    try await security.secureInbound(responderTap, identity: setup.responderIdentity, muxers: setup.responderMuxers)
                }
                let (initiatorResult, responderResult) = await (initiator, responder)
                return HandshakeOutcome(
                    initiator: initiatorResult, responder: responderResult, initiatorTap: initiatorTap, responderTap: responderTap)
            }
            let result = await outcome { try await body(handshake) }
            await handshake.closeAll()
            try result.get()
        }
    }

    /// A handshake both sides must complete, then `body` with the two channels.
    func withChannels(
        _ setup: HandshakeSetup, _ context: CheckContext,
        _ body: @escaping @Sendable (_ initiator: any SecureChannel, _ responder: any SecureChannel) async throws -> Void
    ) async throws {
        try await withHandshake(setup, context) { outcome in
            let (initiator, responder) = try outcome.channels(context)
            try await body(initiator, responder)
        }
    }
}
