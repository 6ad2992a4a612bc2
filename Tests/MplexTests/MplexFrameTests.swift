import LibP2PConformance
import LibP2PCore
import NIOCore
import Testing

@testable import LibP2PMplex

@Suite("mplex frame codec")
struct MplexFrameTests {
    /// Frames and their bytes, worked out by hand from the spec:
    /// header = uvarint(id << 3 | flag), then uvarint(length), then the data.
    static let vectors: [(MplexFrame, [UInt8])] = [
        // NewStream id 0 named "0": header 0, length 1, "0".
        (MplexFrame(streamID: 0, flag: .newStream, payload: ByteBuffer(string: "0")), [0x00, 0x01, 0x30]),
        // MessageReceiver id 0 "a": header 1.
        (MplexFrame(streamID: 0, flag: .messageReceiver, payload: ByteBuffer(string: "a")), [0x01, 0x01, 0x61]),
        // MessageInitiator id 3 "hi": header 3 << 3 | 2 = 26 = 0x1a.
        (MplexFrame(streamID: 3, flag: .messageInitiator, payload: ByteBuffer(string: "hi")), [0x1A, 0x02, 0x68, 0x69]),
        // CloseReceiver id 17: 17 << 3 | 3 = 139 = 0x8b → varint 8b 01; empty body.
        (MplexFrame(streamID: 17, flag: .closeReceiver), [0x8B, 0x01, 0x00]),
        // CloseInitiator id 15: 15 << 3 | 4 = 124 = 0x7c, still one byte.
        (MplexFrame(streamID: 15, flag: .closeInitiator), [0x7C, 0x00]),
        // ResetReceiver id 2: 2 << 3 | 5 = 21 = 0x15.
        (MplexFrame(streamID: 2, flag: .resetReceiver), [0x15, 0x00]),
        // ResetInitiator id 1000: 8006 = 0x1f46 → varint c6 3e.
        (MplexFrame(streamID: 1000, flag: .resetInitiator), [0xC6, 0x3E, 0x00]),
    ]

    @Test("encodes to the hand-computed bytes and decodes back", arguments: 0..<vectors.count)
    func vector(_ index: Int) throws {
        let (frame, bytes) = Self.vectors[index]
        #expect(Array(frame.encoded().readableBytesView) == bytes)
        var decoder = MplexFrameDecoder()
        decoder.append(ByteBuffer(bytes: bytes))
        #expect(try decoder.next() == frame)
        #expect(try decoder.next() == nil)
        #expect(decoder.bufferedBytes == 0)
        try decoder.finish()
    }

    @Test("a 300-byte payload gets a two-byte length (ac 02)")
    func twoByteLength() throws {
        let payload = pattern(300, seed: 1)
        let bytes = Array(MplexFrame(streamID: 1, flag: .messageInitiator, payload: ByteBuffer(bytes: payload)).encoded().readableBytesView)
        #expect(Array(bytes.prefix(3)) == [0x0A, 0xAC, 0x02])
        #expect(Array(bytes.dropFirst(3)) == payload)
    }

    static let payloads = [0, 1, 300, 1 << 20].map { ByteBuffer(bytes: pattern($0, seed: $0)) }

    @Test("every flag, stream number and size round-trips", arguments: MplexFlag.allCases, [0, 1, 127, 128, 1 << 20, MplexFrame.maxStreamID])
    func roundTrip(flag: MplexFlag, id: UInt64) throws {
        for payload in Self.payloads {
            let frame = MplexFrame(streamID: id, flag: flag, payload: payload)
            var decoder = MplexFrameDecoder()
            decoder.append(frame.encoded())
            #expect(try decoder.next() == frame)
            #expect(try decoder.next() == nil)
        }
    }

    @Test("frames split across arbitrary chunks and packed together decode the same")
    func chunking() throws {
        let frames = (0..<40).map { i in
            MplexFrame(
                streamID: UInt64(i * 37), flag: MplexFlag.allCases[i % 7],
                payload: ByteBuffer(bytes: pattern((i * 997) % 2000, seed: i)))
        }
        var wire: [UInt8] = []
        for frame in frames { wire += frame.encoded().readableBytesView }
        for chunkSize in [1, 3, 7, 100, 4096, wire.count] {
            var decoder = MplexFrameDecoder()
            var decoded: [MplexFrame] = []
            var offset = 0
            while offset < wire.count {
                let end = min(offset + chunkSize, wire.count)
                decoder.append(ByteBuffer(bytes: wire[offset..<end]))
                offset = end
                while let frame = try decoder.next() { decoded.append(frame) }
            }
            try decoder.finish()
            #expect(decoded == frames, "chunk size \(chunkSize)")
        }
    }

    @Test("flag 7 is rejected as soon as the header is read")
    func unknownFlag() throws {
        var decoder = MplexFrameDecoder()
        decoder.append(ByteBuffer(bytes: [0x1F]))  // id 3, flag 7, no length yet
        #expect(throws: MplexFrameError.unknownFlag(7, streamID: 3)) { try decoder.next() }
        #expect(String(describing: MplexFrameError.unknownFlag(7, streamID: 3)).contains("unknown flag 7"))
    }

    @Test("a length over the limit is rejected before any data arrives")
    func oversized() throws {
        // 1 MiB + 1 = 0x100001 → varint 81 80 40.
        var decoder = MplexFrameDecoder()
        decoder.append(ByteBuffer(bytes: [0x0A, 0x81, 0x80, 0x40]))
        #expect(throws: MplexFrameError.oversized(length: (1 << 20) + 1, limit: 1 << 20)) { try decoder.next() }

        var small = MplexFrameDecoder(maxMessageSize: 16)
        small.append(ByteBuffer(bytes: [0x0A, 17]))
        #expect(throws: MplexFrameError.oversized(length: 17, limit: 16)) { try small.next() }
        #expect(String(describing: MplexFrameError.oversized(length: 17, limit: 16)).contains("exceeds the limit of 16"))
    }

    @Test("exactly the maximum message size is accepted")
    func maximumSize() throws {
        var decoder = MplexFrameDecoder(maxMessageSize: 16)
        decoder.append(ByteBuffer(bytes: [0x0A, 16] + pattern(16, seed: 2)))
        #expect(try decoder.next()?.payload.readableBytes == 16)
    }

    @Test("a stream that ends inside a frame is reported as truncated", arguments: [
        [0x8B] as [UInt8],  // half a header varint
        [0x1A],  // header, no length
        [0x1A, 0x05, 0x68, 0x69],  // 2 of 5 data bytes
    ])
    func truncated(bytes: [UInt8]) throws {
        var decoder = MplexFrameDecoder()
        decoder.append(ByteBuffer(bytes: bytes))
        #expect(try decoder.next() == nil)
        #expect(throws: MplexFrameError.truncated(bufferedBytes: bytes.count)) { try decoder.finish() }
    }

    @Test("malformed varints are rejected", arguments: [
        (Array(repeating: 0xFF, count: 11), "header"),  // longer than 64 bits allow
        (Array(repeating: 0xFF, count: 9) + [0x02], "header"),  // overflows 64 bits
        ([0x0A, 0x80, 0x00], "length"),  // not minimally encoded
        ([0x0A] + Array(repeating: 0x80, count: 10), "length"),  // too long
    ] as [([UInt8], String)])
    func badVarint(bytes: [UInt8], field: String) throws {
        var decoder = MplexFrameDecoder()
        decoder.append(ByteBuffer(bytes: bytes))
        do {
            _ = try decoder.next()
            Issue.record("decoded \(bytes) without error")
        } catch {
            guard case .badVarint(let got, _) = error else {
                Issue.record("expected a bad \(field) varint, got \(error)")
                return
            }
            #expect(got == field)
            #expect(error.description.contains("not a valid varint"))
        }
    }

    @Test("flags name their kind and their sender")
    func flags() {
        for flag in MplexFlag.allCases where flag != .newStream {
            #expect(MplexFlag(flag.kind, fromOpener: flag.isFromStreamOpener) == flag)
        }
        #expect(MplexFlag.newStream.isFromStreamOpener)
        #expect(MplexFlag(.message, fromOpener: true) == .messageInitiator)
        #expect(MplexFlag(.close, fromOpener: false) == .closeReceiver)
        #expect(MplexFlag(.reset, fromOpener: false) == .resetReceiver)
        // A frame with the acceptor's flag is about a stream we opened, and vice versa.
        #expect(MplexStreamKey(frame: MplexFrame(streamID: 3, flag: .messageReceiver)) == MplexStreamKey(id: 3, openedLocally: true))
        #expect(MplexStreamKey(frame: MplexFrame(streamID: 3, flag: .messageInitiator)) == MplexStreamKey(id: 3, openedLocally: false))
    }
}
