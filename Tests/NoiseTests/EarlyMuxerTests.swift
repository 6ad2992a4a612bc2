import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import Testing

@testable import LibP2PNoise

let yamux = "/yamux/1.0.0"
let mplex = "/mplex/6.7.0"

@Suite("early muxer negotiation")
struct EarlyMuxerTests {
    struct Case: Sendable, CustomTestStringConvertible {
        let initiator: [String]
        let responder: [String]
        let expected: String?
        let testDescription: String
    }

    static let agreeing: [Case] = [
        Case(initiator: [yamux], responder: [yamux], expected: yamux, testDescription: "same single muxer"),
        Case(initiator: [yamux, mplex], responder: [mplex], expected: mplex, testDescription: "the one common muxer"),
        Case(initiator: [yamux, mplex], responder: [mplex, yamux], expected: yamux,
             testDescription: "initiator's preference wins (yamux)"),
        Case(initiator: [mplex, yamux], responder: [yamux, mplex], expected: mplex,
             testDescription: "initiator's preference wins (mplex)"),
        Case(initiator: [yamux], responder: [], expected: nil, testDescription: "responder sends no list"),
        Case(initiator: [], responder: [yamux], expected: nil, testDescription: "initiator sends no list"),
        Case(initiator: [], responder: [], expected: nil, testDescription: "nobody sends a list"),
    ]

    @Test("the rule, from each side's point of view", arguments: agreeing)
    func rule(_ c: Case) throws {
        #expect(try EarlyMuxerNegotiation.select(local: c.initiator, remote: c.responder, role: .initiator) == c.expected)
        #expect(try EarlyMuxerNegotiation.select(local: c.responder, remote: c.initiator, role: .responder) == c.expected)
    }

    @Test("both sides of a real handshake agree", arguments: agreeing)
    func handshake(_ c: Case) async throws {
        var run = HandshakeRun()
        run.initiatorMuxers = c.initiator
        run.responderMuxers = c.responder
        let (initiator, responder) = try await run.channels()
        #expect(initiator.earlyMuxer == c.expected)
        #expect(responder.earlyMuxer == c.expected)
    }

    @Test("lists with nothing in common fail the handshake")
    func noCommonMuxer() async throws {
        #expect(throws: SecurityError.noCommonMuxer(local: [mplex], remote: [yamux])) {
            try EarlyMuxerNegotiation.select(local: [mplex], remote: [yamux], role: .responder)
        }

        var run = HandshakeRun()
        run.initiatorMuxers = [yamux]
        run.responderMuxers = [mplex]
        let outcome = try await run.run()
        // The initiator knows after message 2 and hangs up instead of sending message 3.
        #expect(throws: SecurityError.noCommonMuxer(local: [yamux], remote: [mplex])) { try outcome.initiator.get() }
        #expect(throws: StreamError.unexpectedEOF("handshake message 3")) { try outcome.responder.get() }
    }

    @Test("a responder sees no common muxer in message 3")
    func responderDetectsNoCommonMuxer() async throws {
        let peer = ScriptedPeer(role: .initiator) { identity, key in
            try! HandshakePayload.make(identity: identity, noiseStaticKey: key, muxers: [mplex])
        }
        let (real, hungUp) = try await peer.runAgainstRealPeer()
        // The real responder offers only yamux.
        #expect(throws: SecurityError.noCommonMuxer(local: [yamux], remote: [mplex])) { try real.get() }
        #expect(hungUp)
    }
}
