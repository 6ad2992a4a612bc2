import LibP2PConformance
import NIOCore
import Testing

@testable import LibP2PYamux

@Suite("yamux frame codec")
struct YamuxFrameTests {
    typealias Header = YamuxFrameHeader

    /// Header bytes computed by hand from the spec: version, type, flags (16 bits),
    /// stream ID (32 bits), length (32 bits), big-endian.
    static let vectors: [(Header, [UInt8])] = [
        (Header(type: .data, flags: .syn, streamID: 1, length: 5),
         [0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05]),
        (Header(type: .windowUpdate, flags: .ack, streamID: 2, length: 262_144),
         [0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x02, 0x00, 0x04, 0x00, 0x00]),
        (Header(type: .ping, flags: .syn, streamID: 0, length: 0x0102_0304),
         [0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x03, 0x04]),
        (Header(type: .goAway, streamID: 0, length: 1),
         [0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01]),
        (Header(type: .data, flags: [.fin, .rst], streamID: 0xFFFF_FFFF, length: 0),
         [0x00, 0x00, 0x00, 0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x00]),
        (Header(type: .windowUpdate, flags: [.syn, .ack, .fin, .rst], streamID: 0x0102_0304, length: 0xFFFF_FFFF),
         [0x00, 0x01, 0x00, 0x0F, 0x01, 0x02, 0x03, 0x04, 0xFF, 0xFF, 0xFF, 0xFF]),
    ]

    @Test("header test vectors encode and decode", arguments: vectors)
    func vector(header: Header, bytes: [UInt8]) throws {
        #expect(header.encoded.bytes == bytes)
        #expect(try Header.decode(bytes) == header)
    }

    @Test("every type and flag combination round-trips",
          arguments: [Header.FrameType.data, .windowUpdate, .ping, .goAway], 0..<16)
    func roundTrip(type: Header.FrameType, flagBits: Int) throws {
        let header = Header(type: type, flags: .init(rawValue: UInt16(flagBits)), streamID: 0xA1B2_C3D4, length: 17)
        #expect(try Header.decode(header.encoded.bytes) == header)
    }

    @Test("a data frame round-trips through the decoder, fed one byte at a time")
    func decoderByteByByte() throws {
        let frames = [
            YamuxFrame(header: Header(type: .data, flags: .syn, streamID: 3, length: 4), payload: ByteBuffer(bytes: [1, 2, 3, 4])),
            YamuxFrame(header: Header(type: .windowUpdate, streamID: 3, length: 99)),
            YamuxFrame(header: Header(type: .data, flags: .fin, streamID: 3, length: 0)),
            YamuxFrame(header: Header(type: .ping, flags: .ack, streamID: 0, length: 7)),
        ]
        var wire: [UInt8] = []
        for frame in frames { wire += frame.encoded.bytes }
        var decoder = YamuxFrameDecoder(maxDataLength: 1024)
        var decoded: [YamuxFrame] = []
        for byte in wire {
            decoder.append(ByteBuffer(bytes: [byte]))
            while let frame = try decoder.next() { decoded.append(frame) }
        }
        try decoder.finish()
        #expect(decoded == frames)
        #expect(decoder.bufferedBytes == 0)
    }

    @Test("several frames in one chunk are all decoded")
    func decoderOneChunk() throws {
        var wire = ByteBuffer()
        for id in 1...50 {
            let frame = YamuxFrame(header: Header(type: .data, streamID: UInt32(id), length: UInt32(id)), payload: ByteBuffer(bytes: pattern(id)))
            wire.writeImmutableBuffer(frame.encoded)
        }
        var decoder = YamuxFrameDecoder(maxDataLength: 1024)
        decoder.append(wire)
        var ids: [UInt32] = []
        while let frame = try decoder.next() {
            #expect(frame.payload.bytes == pattern(Int(frame.header.streamID)))
            ids.append(frame.header.streamID)
        }
        #expect(ids == Array(1...50))
    }

    @Test("unknown version is a clear error")
    func unknownVersion() {
        let bytes: [UInt8] = [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]
        #expect(throws: YamuxFrameError.unknownVersion(1)) { try Header.decode(bytes) }
        #expect(YamuxFrameError.unknownVersion(1).description.contains("version 1"))
    }

    @Test("unknown type is a clear error", arguments: [UInt8(4), 5, 0x80, 0xFF])
    func unknownType(type: UInt8) {
        let bytes: [UInt8] = [0x00, type, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00]
        #expect(throws: YamuxFrameError.unknownType(type)) { try Header.decode(bytes) }
        var decoder = YamuxFrameDecoder(maxDataLength: 10)
        decoder.append(ByteBuffer(bytes: bytes))
        #expect(throws: YamuxFrameError.unknownType(type)) { try decoder.next() }
    }

    @Test("a truncated header is a clear error", arguments: 0..<12)
    func truncatedHeader(length: Int) {
        let bytes = Array(Header(type: .ping, flags: .syn, streamID: 0, length: 1).encoded.bytes.prefix(length))
        #expect(throws: YamuxFrameError.truncated(needed: 12, available: length, what: "frame header")) {
            try Header.decode(bytes)
        }
        var decoder = YamuxFrameDecoder(maxDataLength: 10)
        decoder.append(ByteBuffer(bytes: bytes))
        #expect((try? decoder.next()) == nil)
        if length == 0 {
            #expect(throws: Never.self) { try decoder.finish() }
        } else {
            #expect(throws: YamuxFrameError.truncated(needed: 12, available: length, what: "frame header")) { try decoder.finish() }
        }
    }

    @Test("a truncated data payload is a clear error at end of input")
    func truncatedPayload() throws {
        var decoder = YamuxFrameDecoder(maxDataLength: 100)
        decoder.append(Header(type: .data, streamID: 1, length: 10).encoded)
        decoder.append(ByteBuffer(bytes: [1, 2, 3]))
        #expect(try decoder.next() == nil)
        #expect(throws: YamuxFrameError.truncated(needed: 10, available: 3, what: "data frame payload")) { try decoder.finish() }
    }

    @Test("a data frame longer than the limit is refused before its payload arrives")
    func oversizeData() {
        let header = Header(type: .data, streamID: 1, length: 256 * 1024 + 1)
        #expect(throws: YamuxFrameError.dataTooLarge(length: 256 * 1024 + 1, limit: 256 * 1024)) {
            try Header.decode(header.encoded.bytes, maxDataLength: 256 * 1024)
        }
        var decoder = YamuxFrameDecoder(maxDataLength: 256 * 1024)
        decoder.append(header.encoded)
        #expect(throws: YamuxFrameError.dataTooLarge(length: 256 * 1024 + 1, limit: 256 * 1024)) { try decoder.next() }
        // The length of other frame types is not a payload size.
        #expect(throws: Never.self) {
            try Header.decode(Header(type: .windowUpdate, streamID: 1, length: .max).encoded.bytes, maxDataLength: 10)
        }
    }

    @Test("errors describe themselves readably")
    func descriptions() {
        #expect(YamuxFrameError.unknownType(9).description.contains("unknown type 9"))
        #expect(YamuxFrameError.dataTooLarge(length: 5, limit: 4).description.contains("exceeds"))
        #expect(YamuxFrameError.truncated(needed: 12, available: 3, what: "frame header").description.contains("needed 12"))
    }
}
