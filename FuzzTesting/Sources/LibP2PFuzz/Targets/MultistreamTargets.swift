import LibP2PCore
import NIOCore

/// multistream-select: the message reader alone, and both roles' negotiation fed
/// the peer's bytes.
enum MultistreamTargets {
    static let all = [reader, responder, initiator]

    static let reader = FuzzTarget(
        name: "multistream-reader",
        run: { bytes in
            var input = FuzzInput(bytes)
            let stream = ScriptedStream(input.chunks())
            Blocking.run("multistream reader") {
                var reader = ByteStreamReader(stream)
                for _ in 0..<64 { _ = try await Multistream.readMessage(&reader) }
            }
        },
        seeds: { [FuzzInput.whole(negotiation(["/noise"])), [3] + negotiation(["/yamux/1.0.0", "na", "ls"])] })

    static let responder = FuzzTarget(
        name: "multistream-responder",
        run: { bytes in
            var input = FuzzInput(bytes)
            let stream = ScriptedStream(input.chunks())
            Blocking.run("multistream responder") {
                _ = try await Multistream.selectInbound(stream, supported: ["/noise", "/tls/1.0.0"])
            }
        },
        seeds: { [FuzzInput.whole(negotiation(["/tls/1.0.0"])), [1] + negotiation(["/mplex/6.7.0", "/noise"]) + [1, 2, 3]] })

    static let initiator = FuzzTarget(
        name: "multistream-initiator",
        run: { bytes in
            var input = FuzzInput(bytes)
            let stream = ScriptedStream(input.chunks())
            Blocking.run("multistream initiator") {
                _ = try await Multistream.selectOutbound(stream, protocols: ["/yamux/1.0.0", "/mplex/6.7.0"])
            }
        },
        seeds: { [FuzzInput.whole(negotiation(["/yamux/1.0.0"])), [2] + negotiation(["na", "/mplex/6.7.0"])] })

    /// The header and then `messages`, as a peer would send them.
    static func negotiation(_ messages: [String]) -> [UInt8] {
        ([Multistream.protocolID] + messages).flatMap { Array(Multistream.encode($0).readableBytesView) }
    }
}
