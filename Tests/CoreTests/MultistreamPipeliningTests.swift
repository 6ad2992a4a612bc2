import LibP2PConformance
import LibP2PCore
import NIOCore
import Testing

/// "Lazy" negotiation: the initiator's first protocol message rides in the same
/// write as its proposal, and the responder hands it to the protocol.
@Suite("Multistream pipelining")
struct MultistreamPipeliningTests {
    @Test("pipelined bytes reach the responder's protocol, in one initiator write")
    func pipelined() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let responder = Multistream.selectInbound(b, supported: ["/echo/1.0.0"])
            let (chosen, _) = try await Multistream.selectOutbound(
                a, protocols: ["/echo/1.0.0"], pipelining: ByteBuffer(bytes: [1, 2, 3, 4]))
            #expect(chosen == "/echo/1.0.0")
            let (accepted, stream) = try await responder
            #expect(accepted == "/echo/1.0.0")
            var reader = ByteStreamReader(stream)
            var first = try await reader.readExactly(4)
            #expect(first.readBytes(length: 4) == [1, 2, 3, 4])
        }
    }

    @Test("pipelining needs a single proposal: after an 'na' the bytes would go to the wrong protocol")
    func singleProposalOnly() async throws {
        let (a, _) = MemoryPipe.makePair()
        await #expect(throws: MultistreamError.self) {
            _ = try await Multistream.selectOutbound(a, protocols: ["/a", "/b"], pipelining: ByteBuffer(bytes: [1]))
        }
    }
}
