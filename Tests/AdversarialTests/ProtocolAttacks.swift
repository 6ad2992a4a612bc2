import LibP2PBuiltins
import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import NIOCore
import Testing

/// Misbehaving peers one level up: a real host that abuses ping and identify.
@Suite("Adversarial: ping and identify", .serialized, .listenerUnderAttack(security: "noise", muxer: "yamux"))
struct ProtocolAttacks {
    static func attackerHost(_ listener: AttackedListener) throws -> Host {
        let registry = Registry.builtin()
        let (transport, upgrader) = try registry.pipeline(for: listener.combination, identity: .generateEd25519())
        return try Host(transport: transport, upgrader: upgrader)
    }

    /// Opens a ping stream, writes `bytes`, then reads until the listener ends it.
    static func ping(_ bytes: [UInt8], closeWrite: Bool) -> @Sendable (AttackedListener) async throws -> CutOff {
        { listener in
            try await Self.attackerHost(listener).withConnection(to: listener.address, identify: .manual) { connection in
                let stream = try await connection.newStream(PingProtocol.id)
                try await stream.write(bytes)
                if closeWrite { try await stream.closeWrite() }
                do {
                    while try await stream.read() != nil {}
                    return .streamReset(0)  // ended by the listener
                } catch {
                    return .streamReset(0)
                }
            }
        }
    }

    @Test("ping: a short ping (16 of 32 bytes) and then the end of our side: the listener ends the stream")
    func shortPing() async throws {
        try await AttackedListener.shared.survives(Self.ping(Array(repeating: 1, count: 16), closeWrite: true))
    }

    @Test("ping: a short ping and then silence: the listener does not hold the stream forever")
    func stalledPing() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(30), Self.ping(Array(repeating: 1, count: 16), closeWrite: false))
    }

    @Test("ping: 8 MiB of pings whose echoes are never read: the listener gives the stream up")
    func neverReadEchoes() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(30)) { listener in
            try await Self.attackerHost(listener).withConnection(to: listener.address, identify: .manual) { connection in
                let stream = try await connection.newStream(PingProtocol.id)
                let chunk = Array(repeating: UInt8(9), count: 64 << 10)
                for _ in 0..<128 {
                    guard (try? await stream.write(chunk)) != nil else { return .streamReset(0) }
                }
                // All written (the listener kept reading into its window): now it must still end it.
                return await Attacker.untilClosed(stream)
            }
        }
    }

    @Test("identify: a 64 KiB answer (the limit is 4 KiB) to the listener's request is refused")
    func oversizeIdentify() async throws {
        try await AttackedListener.shared.survives { listener in
            let host = try Self.attackerHost(listener)
            let refused = AsyncLatch<CutOff>()
            host.handle(IdentifyProtocol.id) { stream, _ in
                _ = try? await stream.write(Array(repeating: 0x0a, count: 64 << 10))
                _ = try? await stream.closeWrite()
                do { while try await stream.read() != nil {} } catch {}
                refused.set(.streamReset(0))
            }
            return try await host.withConnection(to: listener.address, identify: .manual) { _ in
                await refused.wait() ?? .connectionClosed
            }
        }
    }
}
