@testable import LibP2PTLS
import LibP2PConformance
import Testing

/// The ALPN rules on their own: the offer, the wire format, the server's choice.
@Suite struct ALPNTests {
    @Test("the client offers its muxers in order, then libp2p last")
    func offer() {
        #expect(ALPN.clientOffer(muxers: [yamux, mplex]) == [yamux, mplex, "libp2p"])
        #expect(ALPN.clientOffer(muxers: []) == ["libp2p"])
        #expect(ALPN.clientOffer(muxers: ["libp2p", yamux]) == [yamux, "libp2p"])
    }

    @Test("the wire list is length-prefixed names and decodes back")
    func wire() throws {
        let wire = try ALPN.encode([yamux, "libp2p"])
        #expect(wire == [12] + Array(yamux.utf8) + [6] + Array("libp2p".utf8))
        let ranges = wire.withUnsafeBufferPointer { ALPN.decode($0) }
        #expect(ranges == [1..<13, 14..<20])
    }

    @Test("names ALPN cannot carry are refused")
    func invalidNames() {
        #expect(throws: TLSError.invalidALPNProtocol("")) { try ALPN.encode([""]) }
        let long = String(repeating: "m", count: 256)
        #expect(throws: TLSError.invalidALPNProtocol(long)) { try ALPN.encode([long]) }
    }

    @Test("malformed wire lists decode to nil", arguments: [[UInt8]([3, 0x61]), [0], [2, 0x61, 0x62, 5]])
    func malformedWire(wire: [UInt8]) {
        #expect(wire.withUnsafeBufferPointer { ALPN.decode($0) } == nil)
    }

    @Test("the server picks its own first supported muxer, else libp2p, else nothing")
    func selection() {
        #expect(ALPN.select(offered: [yamux, mplex, "libp2p"], supported: [mplex, yamux]) == mplex)
        #expect(ALPN.select(offered: [yamux, "libp2p"], supported: [mplex]) == "libp2p")
        #expect(ALPN.select(offered: [yamux], supported: [mplex]) == nil)
        #expect(ALPN.select(offered: ["libp2p"], supported: []) == "libp2p")
        #expect(ALPN.select(offered: [], supported: [yamux]) == nil)
    }

    @Test("the choice is found in the client's wire list")
    func selectionFromWire() throws {
        let wire = try ALPN.encode([yamux, mplex, "libp2p"])
        let range = wire.withUnsafeBufferPointer { ALPN.select(fromWire: $0, supported: [mplex]) }
        #expect(range.map { Array(wire[$0]) } == Array(mplex.utf8))
    }

    @Test("the early muxer: a muxer of ours, nil for libp2p, an error for anything else")
    func earlyMuxer() throws {
        #expect(try ALPN.earlyMuxer(selected: yamux, muxers: [yamux]) == yamux)
        #expect(try ALPN.earlyMuxer(selected: "libp2p", muxers: [yamux]) == nil)
        #expect(throws: TLSError.unexpectedALPN("h2")) { try ALPN.earlyMuxer(selected: "h2", muxers: [yamux]) }
    }
}
