import LibP2PCore
import Testing

/// Hand-made mplex frames over a real Noise channel.
@Suite("Adversarial: mplex", .serialized, .listenerUnderAttack(security: "noise", muxer: "mplex"))
struct MplexAttacks {
    typealias W = MplexWire

    static func send(_ frames: [[UInt8]], watching stream: UInt64 = 1) -> @Sendable (AttackedListener) async throws -> CutOff {
        { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.mplexID)
            for frame in frames { try await channel.write(frame) }
            return await W.untilCutOff(channel, stream: stream)
        }
    }

    @Test("mplex: flag 7 is a protocol error")
    func badFlag() async throws {
        try await AttackedListener.shared.survives(accepting: [.connectionClosed], Self.send([W.frame(stream: 1, flag: 7)]))
    }

    @Test("mplex: a frame announcing 2 MiB (the limit is 1 MiB) is refused")
    func oversizeFrame() async throws {
        try await AttackedListener.shared.survives(
            accepting: [.connectionClosed],
            Self.send([W.frame(stream: 1, flag: W.newStream), W.frame(stream: 1, flag: W.messageInitiator, payload: [], length: 2 << 20)]))
    }

    @Test("mplex: opening a stream ID that is still open is refused")
    func idReuse() async throws {
        try await AttackedListener.shared.survives(
            Self.send([W.frame(stream: 1, flag: W.newStream), W.frame(stream: 1, flag: W.newStream)]))
    }

    @Test("mplex: 16 MiB written to a ping stream while never reading its echoes is cut off (mplex has no flow control)")
    func writesNobodyReads() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(40)) { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.mplexID)
            try await channel.write(W.frame(stream: 1, flag: W.newStream))
            let negotiation = Attacker.multistream(Multistream.protocolID) + Attacker.multistream("/ipfs/ping/1.0.0")
            try await channel.write(W.frame(stream: 1, flag: W.messageInitiator, payload: negotiation))
            // Not a byte read while writing: the echoes back up in the listener, its
            // ping handler stalls, and our data piles up in its stream buffer.
            let chunk = W.frame(stream: 1, flag: W.messageInitiator, payload: Array(repeating: 0x50, count: 64 << 10))
            for _ in 0..<256 {
                guard (try? await channel.write(chunk)) != nil else { return .connectionClosed }
            }
            return await W.untilCutOff(channel, stream: 1)
        }
    }

    @Test("mplex: a flood of 20,000 stream opens is bounded (streams past the limits are reset)")
    func streamOpenFlood() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(15)) { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.mplexID)
            let last: UInt64 = 20_000
            return await withTaskGroup(of: CutOff?.self) { group in
                group.addTask {
                    for id in 1...last {
                        guard (try? await channel.write(W.frame(stream: id, flag: W.newStream))) != nil else { return nil }
                    }
                    return nil
                }
                let cutOff = await W.untilCutOff(channel, stream: last)
                group.cancelAll()
                return cutOff
            }
        }
    }

    @Test("control: a well-formed stream on the same kind of session is served, not cut off")
    func control() async throws {
        let listener = try AttackedListener.shared
        let channel = try await Attacker.muxed(listener, muxer: Attacker.mplexID)
        let negotiation = Attacker.multistream(Multistream.protocolID) + Attacker.multistream("/ipfs/ping/1.0.0")
        let payload = (0..<32).map { UInt8($0) }
        try await channel.write(W.frame(stream: 1, flag: W.newStream))
        try await channel.write(W.frame(stream: 1, flag: W.messageInitiator, payload: negotiation + payload))
        // The listener's answers on stream 1: the negotiation echoed, then the ping echoed.
        let echoed = try await withDeadline(.seconds(10), "the listener's echo") {
            var reader = ByteStreamReader(channel)
            var received: [UInt8] = []
            while received.count < negotiation.count + payload.count {
                let header = try await reader.readUVarint(what: "mplex header")
                let length = try await reader.readUVarint(what: "mplex length")
                var body = try await reader.readExactly(Int(length), what: "mplex payload")
                let (id, flag) = (header >> 3, header & 7)
                if id == 1 && (flag == W.resetReceiver || flag == W.resetInitiator) { return [UInt8]() }
                if id == 1 && flag == W.messageReceiver { received += body.readBytes(length: body.readableBytes)! }
            }
            return received
        }
        #expect(Array(echoed.suffix(32)) == payload)
        await channel.close()
    }
}
