import LibP2PCore
import Testing

/// Hand-made yamux frames over a real Noise channel.
@Suite("Adversarial: yamux", .serialized, .listenerUnderAttack(security: "noise", muxer: "yamux"))
struct YamuxAttacks {
    typealias W = YamuxWire

    /// Sends `frames` on a fresh session and watches for the listener's reaction on `stream`.
    static func send(_ frames: [[UInt8]], watching stream: UInt32 = 1) -> @Sendable (AttackedListener) async throws -> CutOff {
        { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.yamuxID)
            for frame in frames { try await channel.write(frame) }
            return await W.untilCutOff(channel, stream: stream)
        }
    }

    @Test("yamux: version 1 is a protocol error")
    func badVersion() async throws {
        try await AttackedListener.shared.survives(
            accepting: [.connectionClosed], Self.send([W.frame(version: 1, type: W.windowUpdate, flags: W.syn, stream: 1, length: 0)]))
    }

    @Test("yamux: an unknown frame type is a protocol error")
    func unknownType() async throws {
        try await AttackedListener.shared.survives(
            accepting: [.connectionClosed], Self.send([W.frame(type: 9, flags: W.syn, stream: 1, length: 0)]))
    }

    @Test("yamux: a dialer's stream with an even ID is a protocol error")
    func wrongParity() async throws {
        try await AttackedListener.shared.survives(
            Self.send([W.frame(type: W.windowUpdate, flags: W.syn, stream: 2, length: 0)], watching: 2))
    }

    @Test("yamux: SYN on a live stream ID is a protocol error")
    func synOnLiveID() async throws {
        let syn = W.frame(type: W.windowUpdate, flags: W.syn, stream: 1, length: 0)
        try await AttackedListener.shared.survives(Self.send([syn, syn]))
    }

    @Test("yamux: 300 KiB of data into a 256 KiB window is refused")
    func windowViolation() async throws {
        try await AttackedListener.shared.survives(
            Self.send([
                W.frame(type: W.windowUpdate, flags: W.syn, stream: 1, length: 0),
                W.frame(type: W.data, stream: 1, payload: Array(repeating: 0x41, count: 300 << 10)),
            ]))
    }

    @Test("yamux: data after our FIN is refused")
    func dataAfterFIN() async throws {
        try await AttackedListener.shared.survives(
            Self.send([
                W.frame(type: W.windowUpdate, flags: W.syn, stream: 1, length: 0),
                W.frame(type: W.data, flags: W.fin, stream: 1, length: 0),
                W.frame(type: W.data, stream: 1, payload: Array(repeating: 0x41, count: 64)),
            ]))
    }

    @Test("yamux: data after our RST on that stream is discarded, and the session still answers")
    func dataAfterRST() async throws {
        // A frame racing a reset is normal on a real network (go-yamux and the spec
        // let it be dropped), so the cut-off here is the stream itself: the RST.
        try await AttackedListener.shared.survives(accepting: [.streamReset]) { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.yamuxID)
            try await channel.write(W.frame(type: W.windowUpdate, flags: W.syn, stream: 1, length: 0))
            try await channel.write(W.frame(type: W.windowUpdate, flags: W.rst, stream: 1, length: 0))
            try await channel.write(W.frame(type: W.data, stream: 1, payload: Array(repeating: 0x41, count: 64)))
            try await channel.write(W.frame(type: W.ping, flags: W.syn, stream: 0, length: 77))
            var reader = ByteStreamReader(channel)
            while true {
                var header = try await reader.readExactly(12, what: "yamux header")
                let bytes = header.readBytes(length: 12)!
                let length = bytes[8..<12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                if bytes[1] == W.goAway { return .connectionClosed }
                if bytes[1] == W.ping && length == 77 { return .streamReset(1) }
                if bytes[1] == W.data && length > 0 { _ = try await reader.readExactly(Int(length)) }
            }
        }
    }

    @Test("control: well-formed frames on the same kind of session are answered, not cut off")
    func control() async throws {
        // Without this, a broken attacker (one the listener drops for its own
        // mistakes) would make every case above pass.
        let listener = try AttackedListener.shared
        let channel = try await Attacker.muxed(listener, muxer: Attacker.yamuxID)
        try await channel.write(W.frame(type: W.windowUpdate, flags: W.syn, stream: 1, length: 0))
        try await channel.write(W.frame(type: W.ping, flags: W.syn, stream: 0, length: 1234))
        let answered = try await withDeadline(.seconds(10), "the listener's answers") {
            var reader = ByteStreamReader(channel)
            var (acked, ponged) = (false, false)
            while !(acked && ponged) {
                var header = try await reader.readExactly(12, what: "yamux header")
                let bytes = header.readBytes(length: 12)!
                let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
                let id = bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                let length = bytes[8..<12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                if bytes[1] == W.goAway || flags & W.rst != 0 { return false }
                if id == 1 && flags & W.ack != 0 { acked = true }
                if bytes[1] == W.ping && flags & W.ack != 0 && length == 1234 { ponged = true }
                if bytes[1] == W.data && length > 0 { _ = try await reader.readExactly(Int(length)) }
            }
            return true
        }
        #expect(answered)
        await channel.close()
    }

    @Test("yamux: a flood of 20,000 stream opens is bounded (streams past the limits are reset)")
    func streamOpenFlood() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(15)) { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.yamuxID)
            let last: UInt32 = 2 * 20_000 - 1
            return await withTaskGroup(of: CutOff?.self) { group in
                group.addTask {
                    for id in stride(from: UInt32(1), through: last, by: 2) {
                        guard (try? await channel.write(W.frame(type: W.windowUpdate, flags: W.syn, stream: id, length: 0))) != nil
                        else { return nil }
                    }
                    return nil
                }
                let cutOff = await W.untilCutOff(channel, stream: last)
                group.cancelAll()
                return cutOff
            }
        }
    }

    @Test("yamux: a flood of pings whose answers are never read is cut off")
    func pingFlood() async throws {
        // The listener answers every ping and gives up only once its answers back up:
        // first the loopback socket buffers (several MiB) fill, then its own pending
        // writes and control queue. Answering that many pings takes a debug build
        // (as CI runs the tests) longer than the default 5 s, as for the stream flood.
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(15)) { listener in
            let channel = try await Attacker.muxed(listener, muxer: Attacker.yamuxID)
            let ping = W.frame(type: W.ping, flags: W.syn, stream: 0, length: 1)
            let batch = Array((0..<1000).map { _ in ping }.joined())
            // Never read: the listener's answers back up until it gives up on us.
            for _ in 0..<2000 {
                guard (try? await channel.write(batch)) != nil else { break }
            }
            return await Attacker.untilClosed(channel)
        }
    }
}
