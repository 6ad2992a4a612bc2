import LibP2PCore
import LibP2PRegistry
import NIOCore

extension SecurityConformance {
    func checkHandshake(speaker role: MuxerRole, _ context: CheckContext) async throws {
        let setup = HandshakeSetup()
        try await withChannels(setup, context) { initiator, responder in
            try checkIdentities(initiator: initiator, responder: responder, setup, context)
            let (speaker, listener) = role == .initiator ? (initiator, responder) : (responder, initiator)
            let hello = Array("hello from the \(role)".utf8)
            try await context.step("the \(role) writes first") { try await speaker.write(hello) }
            let got = try await context.step("the \(role.other) reads it") { try await readExactly(hello.count, from: listener) }
            try context.require(got == hello, "the \(role.other) read \(got), the \(role) wrote \(hello)")
            let reply = Array("and back from the \(role.other)".utf8)
            try await context.step("the \(role.other) replies") { try await listener.write(reply) }
            let back = try await context.step("the \(role) reads the reply") { try await readExactly(reply.count, from: speaker) }
            try context.require(back == reply, "the \(role) read \(back), the \(role.other) wrote \(reply)")
        }
    }

    private func checkIdentities(
        initiator: any SecureChannel, responder: any SecureChannel, _ setup: HandshakeSetup, _ context: CheckContext
    ) throws {
        for (name, channel, local, remote) in [
            ("initiator", initiator, setup.initiatorIdentity, setup.responderIdentity),
            ("responder", responder, setup.responderIdentity, setup.initiatorIdentity),
        ] {
            try context.require(
                channel.remotePeer == remote.peerID, "the \(name) sees remote peer \(channel.remotePeer), expected \(remote.peerID)")
            try context.require(
                channel.remotePublicKey == remote.publicKey,
                "the \(name) sees remote key \(channel.remotePublicKey), expected \(remote.publicKey)")
            try context.require(
                channel.localPeer == local.peerID, "the \(name)'s localPeer is \(channel.localPeer), expected its own \(local.peerID)")
        }
    }

    func checkExpectedPeer(expecting: Bool, _ context: CheckContext) async throws {
        var setup = HandshakeSetup()
        if !expecting { setup.expecting = .some(nil) }
        try await withChannels(setup, context) { [setup] initiator, responder in
            try checkIdentities(initiator: initiator, responder: responder, setup, context)
        }
    }

    func checkWrongPeerRefused(expectingOwnID: Bool, _ context: CheckContext) async throws {
        var setup = HandshakeSetup()
        let wrong = expectingOwnID ? setup.initiatorIdentity.peerID : PrivateKey.generateEd25519().peerID
        setup.expecting = .some(wrong)
        try await withHandshake(setup, context) { [setup] outcome in
            if case .success = outcome.initiator {
                throw context.failure("the initiator expected \(wrong) but accepted the responder \(setup.responderIdentity.peerID)")
            }
            try await requireEnds(outcome.responder, "the responder, whose dialer refused it,", context)
        }
    }

    /// A side whose peer failed or vanished must end: its handshake threw, or its
    /// channel's first read ends (nil or an error) promptly without delivering data.
    private func requireEnds(
        _ result: Result<any SecureChannel, any Error>, _ who: String, _ context: CheckContext
    ) async throws {
        guard case .success(let channel) = result else { return }
        let read = try await context.promptly("\(who) reading after completing its handshake") { await outcome { try await channel.read() } }
        if case .success(let chunk?) = read {
            throw context.failure("\(who) completed its handshake and then read \(chunk.readableBytes) bytes nobody sent")
        }
    }

    func checkLargeMessages(sender role: MuxerRole, _ context: CheckContext) async throws {
        let size = limits.largeMessage
        try await withChannels(HandshakeSetup(), context) { initiator, responder in
            let (first, second) = role == .initiator ? (initiator, responder) : (responder, initiator)
            for (from, to, name, start) in [(first, second, "\(role)", 1), (second, first, "\(role.other)", 2)] {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await context.step("the \(name) writes \(size) bytes in one write, then 5") {
                            try await from.write(TestPattern.shared.slice(start: start, position: 0, length: size))
                            try await from.write(TestPattern.shared.slice(start: start, position: size, length: 5))
                        }
                    }
                    group.addTask {
                        try await context.step("reading the \(name)'s \(size + 5) bytes") {
                            try await readPatternPrefix(from: to, start: start, count: size + 5, context: context, what: "the read of the \(name)'s message")
                        }
                    }
                    try await group.awaitAll()
                }
            }
        }
    }

    func checkHalfClose(closer role: MuxerRole, _ context: CheckContext) async throws {
        try await withChannels(HandshakeSetup(), context) { initiator, responder in
            let (closer, other) = role == .initiator ? (initiator, responder) : (responder, initiator)
            try await transfer(100_000, start: 3, from: closer, to: other, closing: true, context, "the \(role)'s data before its closeWrite()")
            let late = await outcome { try await closer.write([0]) }
            try context.require(late.isFailure, "a write after the \(role)'s own closeWrite() succeeded; it must throw")
            try await transfer(
                100_000, start: 4, from: other, to: closer, closing: true, context, "the \(role.other)'s answer to the half-closed \(role)")
        }
    }

    func checkTruncatedHandshake(cutSide role: MuxerRole, _ context: CheckContext) async throws {
        // Learn how much this side writes in a whole handshake, then cut inside it.
        // Sizes vary a little between handshakes (DER signatures differ in length),
        // so the last cut keeps a margin from the end.
        let measured = HandshakeSetup()
        let total = SharedValue(0)
        try await withHandshake(measured, context) { outcome in
            _ = try outcome.channels(context)
            total.set(outcome.bytesWritten(role))
        }
        let whole = total.value
        try context.require(whole > 0, "the \(role) wrote nothing during a whole handshake")
        let margin = min(16, whole / 4)
        let cuts = Array(Set([0, 1, whole / 2, whole - 1 - margin]).filter { $0 >= 0 && $0 < whole }).sorted()
        for cut in cuts {
            var setup = measured
            setup.cut = (role, cut)
            let cutContext = context.variant("cut after \(cut) of about \(whole) bytes")
            try await withHandshake(setup, cutContext) { outcome in
                try cutContext.require(
                    outcome.wasCut(role),
                    "the \(role) wrote only \(outcome.bytesWritten(role)) bytes this time (\(whole) before): handshake sizes vary by more than \(margin) bytes")
                // Nothing that could authenticate the cut side got through: its peer must fail.
                if cut <= 1, case .success = outcome.result(role.other) {
                    throw cutContext.failure("the \(role.other) completed a handshake with a peer that sent only \(cut) bytes")
                }
                try await requireEnds(outcome.result(role.other), "the \(role.other)", cutContext)
                try await requireEnds(outcome.result(role), "the \(role), whose output was cut,", cutContext)
            }
        }
    }

    func checkConcurrentReadWrite(actor role: MuxerRole, _ context: CheckContext) async throws {
        let size = limits.concurrentBytes
        try await withChannels(HandshakeSetup(), context) { initiator, responder in
            let (actor, echo) = role == .initiator ? (initiator, responder) : (responder, initiator)
            try await withThrowingTaskGroup(of: Void.self) { group in
                // The echo reads and writes in one task: only an actor that reads while
                // it writes gets through more than the pipe holds.
                group.addTask {
                    try await context.step("the \(role.other) echoes") {
                        while let chunk = try await echo.read() { try await echo.write(chunk) }
                        try await echo.closeWrite()
                    }
                }
                group.addTask {
                    try await context.step("the \(role) writes \(size) bytes") {
                        try await writePattern(to: actor, start: 8, count: size, chunk: 256 << 10)
                        try await actor.closeWrite()
                    }
                }
                group.addTask {
                    try await context.step("the \(role) reads the echo at the same time") {
                        try await readAndVerifyPattern(from: actor, start: 8, count: size, context: context, what: "the \(role)'s read of the echo")
                    }
                }
                try await group.awaitAll()
            }
        }
    }

    func checkEarlyMuxers(firstList role: MuxerRole, _ context: CheckContext) async throws {
        let y = HandshakeSetup.yamux
        let m = HandshakeSetup.mplex
        let agreeing: [(first: [String], second: [String])] = [([y, m], [y, m]), ([y, m], [m, y]), ([m], [y, m]), ([y, m], []), ([], [])]
        for (first, second) in agreeing {
            var setup = HandshakeSetup()
            (setup.initiatorMuxers, setup.responderMuxers) = role == .initiator ? (first, second) : (second, first)
            let lists = "initiator offers \(setup.initiatorMuxers), responder \(setup.responderMuxers)"
            let caseContext = context.variant(lists)
            try await withChannels(setup, caseContext) { [setup] initiator, responder in
                try caseContext.require(
                    initiator.earlyMuxer == responder.earlyMuxer,
                    "the initiator chose \(String(describing: initiator.earlyMuxer)), the responder \(String(describing: responder.earlyMuxer))")
                if let chosen = initiator.earlyMuxer {
                    try caseContext.require(
                        setup.initiatorMuxers.contains(chosen) && setup.responderMuxers.contains(chosen),
                        "both chose \(chosen), which is not in both lists")
                }
            }
        }
        // No muxer in common: failing the handshake and going on without one are both fine.
        var setup = HandshakeSetup()
        (setup.initiatorMuxers, setup.responderMuxers) = role == .initiator ? ([y], [m]) : ([m], [y])
        let caseContext = context.variant("no muxer in common")
        try await withHandshake(setup, caseContext) { outcome in
            for side in [MuxerRole.initiator, .responder] {
                if case .success(let channel) = outcome.result(side), let chosen = channel.earlyMuxer {
                    throw caseContext.failure("the \(side) chose \(chosen) although the two lists share no muxer")
                }
            }
            if case .failure = outcome.initiator { try await requireEnds(outcome.responder, "the responder", caseContext) }
            if case .failure = outcome.responder { try await requireEnds(outcome.initiator, "the initiator", caseContext) }
        }
    }
}
