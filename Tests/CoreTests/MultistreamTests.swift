import LibP2PConformance
import LibP2PCore
import NIOCore
import Testing

/// One multistream message built by hand, so the tests do not check the codec
/// against itself.
private func message(_ text: String) -> [UInt8] {
    let body = Array(text.utf8) + [0x0A]
    return UVarint.encode(body.count) + body
}

private let header = message("/multistream/1.0.0")

@Suite("Multistream")
struct MultistreamTests {
    // MARK: Codec

    @Test func encodesTheSpecBytes() {
        #expect(Multistream.encode("na").bytes == [0x03, 0x6E, 0x61, 0x0A])
        #expect(Multistream.encode(Multistream.protocolID).bytes == [0x13] + Array("/multistream/1.0.0\n".utf8))
        #expect(Multistream.encode(String(repeating: "a", count: 200)).bytes.prefix(2) == [0xC9, 0x01])
    }

    // MARK: Both roles, Swift against Swift

    @Test func firstProposalAccepted() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inbound = Multistream.selectInbound(b, supported: ["/yamux/1.0.0"])
            let outbound = try await Multistream.selectOutbound(a, protocols: ["/yamux/1.0.0", "/mplex/6.7.0"])
            let responder = try await inbound
            #expect(outbound.protocol == "/yamux/1.0.0")
            #expect(responder.protocol == "/yamux/1.0.0")
            // The returned streams carry the next layer both ways.
            try await outbound.stream.write([1, 2, 3])
            #expect(try await responder.stream.read()?.bytes == [1, 2, 3])
            try await responder.stream.write([4])
            #expect(try await outbound.stream.read()?.bytes == [4])
        }
    }

    @Test func naThenSecondProposal() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inbound = Multistream.selectInbound(b, supported: ["/noise", "/plaintext/2.0.0"])
            let outbound = try await Multistream.selectOutbound(a, protocols: ["/tls/1.0.0", "/noise"])
            #expect(outbound.protocol == "/noise")
            let chosen = try await inbound.protocol
            #expect(chosen == "/noise")
        }
    }

    @Test func initiatorPreferenceWins() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inbound = Multistream.selectInbound(b, supported: ["/a", "/b"])
            let outbound = try await Multistream.selectOutbound(a, protocols: ["/b", "/a"])
            #expect(outbound.protocol == "/b")
            let chosen = try await inbound.protocol
            #expect(chosen == "/b")
        }
    }

    @Test func noCommonProtocolFailsBothSides() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inboundError = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/c"]) }
            let outboundError = await caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/a", "/b"]) }
            #expect(outboundError as? MultistreamError == .noCommonProtocol(["/a", "/b"]))
            // The initiator's owner closes the connection; the responder must not hang.
            await a.close()
            let error = await inboundError
            #expect(error as? StreamError == .unexpectedEOF("multistream message length"))
        }
    }

    @Test func nothingToProposeWritesNothing() async throws {
        try await withTimeout {
            let (a, _) = MemoryPipe.makePair()
            await #expect(throws: MultistreamError.noProtocols) {
                _ = try await Multistream.selectOutbound(a, protocols: [])
            }
            #expect(a.bytesInFlight == 0)
        }
    }

    // MARK: Initiator against a scripted responder

    @Test func initiatorSendsHeaderAndProposalInOneWrite() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            // Nothing has been sent to the initiator yet: it must not wait for our header.
            #expect(try await b.read()?.bytes == header + message("/noise"))
            try await b.write(header + [0x03, 0x6E, 0x61, 0x0A])
            let error = await result
            #expect(error as? MultistreamError == .noCommonProtocol(["/noise"]))
        }
    }

    @Test func initiatorTriesTheNextProtocolAfterNa() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let outbound = Multistream.selectOutbound(a, protocols: ["/tls/1.0.0", "/noise"])
            var raw = ByteStreamReader(b)
            #expect(try await raw.readExactly(header.count + 12).bytes == header + message("/tls/1.0.0"))
            try await b.write(header + message("na"))
            #expect(try await raw.readExactly(message("/noise").count).bytes == message("/noise"))
            try await b.write(message("/noise"))
            let chosen = try await outbound.protocol
            #expect(chosen == "/noise")
        }
    }

    @Test func initiatorHandsOnBytesPipelinedBehindTheEcho() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let outbound = Multistream.selectOutbound(a, protocols: ["/noise"])
            _ = try await b.read()
            // go sends the next layer's first bytes in the same packet as the echo.
            try await b.write(header + message("/noise") + [0xDE, 0xAD])
            let stream = try await outbound.stream
            #expect(try await stream.read()?.bytes == [0xDE, 0xAD])
            try await b.write([0xBE, 0xEF])
            #expect(try await stream.read()?.bytes == [0xBE, 0xEF])
        }
    }

    @Test func initiatorRefusesAnUnexpectedAnswer() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            try await b.write(header + message("/tls/1.0.0"))
            let error = await result
            #expect(error as? MultistreamError == .malformed("expected '/noise' or 'na', got '/tls/1.0.0'"))
        }
    }

    @Test func initiatorRefusesAWrongHeader() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            try await b.write(message("/multistream/2.0.0"))
            let error = await result
            #expect(error as? MultistreamError == .unsupportedVersion("/multistream/2.0.0"))
        }
    }

    @Test func initiatorRefusesAnOverlongLine() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            // Only the length arrives: the cap must apply before any body is awaited.
            try await b.write(UVarint.encode(2000))
            let error = await result
            #expect(error as? MultistreamError == .messageTooLong(2000))
        }
    }

    @Test func initiatorRefusesAMissingNewline() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            try await b.write([0x13] + Array("/multistream/1.0.0X".utf8))
            let error = await result
            #expect(error as? MultistreamError == .malformed("message does not end with a newline"))
        }
    }

    @Test func initiatorFailsWhenThePeerClosesMidNegotiation() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            _ = try await b.read()
            try await b.write(header + [0x07, 0x2F])  // half of "/noise\n"
            await b.close()
            let error = await result
            #expect(error as? StreamError == .unexpectedEOF("multistream message"))
        }
    }

    @Test func initiatorFailsWhenThePeerClosesAtOnce() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectOutbound(a, protocols: ["/noise"]) }
            await b.close()
            let error = await result
            #expect(error != nil)
        }
    }

    // MARK: Responder against a scripted initiator

    @Test func responderWritesItsHeaderImmediately() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            // We have written nothing: the header must come anyway (py waits for it).
            var raw = ByteStreamReader(a)
            let sent = try await raw.readExactly(header.count).bytes
            #expect(sent == header)
            await a.close()
            let error = await result
            #expect(error as? StreamError == .unexpectedEOF("multistream message length"))
        }
    }

    @Test func responderAnswersNaToUnknownAndLsThenEchoes() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inbound = Multistream.selectInbound(b, supported: ["/yamux/1.0.0"])
            try await a.write(header + message("ls") + message("/libp2p/simultaneous-connect") + message("/yamux/1.0.0"))
            var raw = ByteStreamReader(a)
            let na: [UInt8] = [0x03, 0x6E, 0x61, 0x0A]
            let expected = header + na + na + message("/yamux/1.0.0")
            #expect(try await raw.readExactly(expected.count).bytes == expected)
            let chosen = try await inbound.protocol
            #expect(chosen == "/yamux/1.0.0")
        }
    }

    @Test func responderHandsOnBytesPipelinedBehindTheProposal() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inbound = Multistream.selectInbound(b, supported: ["/noise"])
            // rust's lazy dialer: header, proposal and the first handshake bytes at once.
            try await a.write(header + message("/noise") + [0x00, 0x20, 0x01, 0x02])
            let (chosen, stream) = try await inbound
            #expect(chosen == "/noise")
            #expect(try await stream.read()?.bytes == [0x00, 0x20, 0x01, 0x02])
            try await a.write([0x03])
            #expect(try await stream.read()?.bytes == [0x03])
        }
    }

    @Test func responderRefusesAWrongHeader() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            try await a.write(message("/multistream/2.0.0") + message("/noise"))
            let error = await result
            #expect(error as? MultistreamError == .unsupportedVersion("/multistream/2.0.0"))
        }
    }

    @Test func responderRefusesAnOverlongLine() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            try await a.write(header + UVarint.encode(1025))
            let error = await result
            #expect(error as? MultistreamError == .messageTooLong(1025))
        }
    }

    @Test func responderAcceptsALineOfExactly1024Bytes() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let inbound = Multistream.selectInbound(b, supported: ["/noise"])
            let longest = "/" + String(repeating: "x", count: 1022)  // 1023 + newline = 1024
            #expect(message(longest).count == 2 + 1024)
            try await a.write(header + message(longest) + message("/noise"))
            let chosen = try await inbound.protocol
            #expect(chosen == "/noise")
        }
    }

    @Test("responder refuses a length needing more than two varint bytes", arguments: [1 << 14, 1 << 20, 1 << 62])
    func responderRefusesAHugeLength(length: Int) async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            try await a.write(header + UVarint.encode(length))
            let error = await result
            #expect(error as? MultistreamError == .messageTooLong(length))
        }
    }

    @Test("responder refuses malformed messages", arguments: [
        ([0x03] + Array("abc".utf8), MultistreamError.malformed("message does not end with a newline")),
        ([0x00], .malformed("empty message")),
        ([0x03, 0xFF, 0xFE, 0x0A], .malformed("message is not UTF-8")),
    ] as [([UInt8], MultistreamError)])
    func responderRefusesMalformed(bytes: [UInt8], expected: MultistreamError) async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            try await a.write(header + bytes)
            let error = await result
            #expect(error as? MultistreamError == expected)
        }
    }

    @Test func responderGivesUpAfterTooManyProposals() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            let proposals = (0..<Multistream.maxProposals).map { "/nope/\($0)" }
            try await a.write(header + proposals.flatMap(message))
            let error = await result
            #expect(error as? MultistreamError == .tooManyProposals(proposals))
        }
    }

    @Test func responderFailsWhenThePeerClosesMidNegotiation() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result = caughtError { _ = try await Multistream.selectInbound(b, supported: ["/noise"]) }
            try await a.write(header + [0x07] + Array("/no".utf8))
            try await a.closeWrite()
            let error = await result
            #expect(error as? StreamError == .unexpectedEOF("multistream message"))
        }
    }

    @Test func errorsDescribeThemselves() {
        #expect(MultistreamError.messageTooLong(2000).description.contains("1024"))
        #expect(MultistreamError.unsupportedVersion("/x").description.contains("/multistream/1.0.0"))
        #expect(MultistreamError.noCommonProtocol(["/a"]).description.contains("/a"))
        #expect(MultistreamError.tooManyProposals(["/z"]).description.contains("/z"))
    }
}
