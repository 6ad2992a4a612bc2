import LibP2PConformance
import LibP2PCore
import NIOCore
import Testing

@Suite("ByteStreamReader and PrefixedByteStream over MemoryPipe")
struct ByteStreamReaderTests {
    @Test func readExactlyAcrossChunkBoundaries() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([1, 2, 3])
            try await a.write([4, 5])
            try await a.write([6, 7, 8, 9])
            var reader = ByteStreamReader(b)
            #expect(try await reader.readExactly(4).bytes == [1, 2, 3, 4])
            #expect(try await reader.readExactly(0).bytes == [])
            #expect(try await reader.readExactly(5).bytes == [5, 6, 7, 8, 9])
            #expect(reader.buffered.readableBytes == 0)
        }
    }

    @Test("a message cut across chunks is gathered alone; a read that fails consumes nothing")
    func gatheringKeepsTheRest() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            var reader = ByteStreamReader(b)
            try await a.write([1, 2])
            #expect(try await reader.readExactly(1).bytes == [1])
            try await a.write([3, 4, 5, 6, 7, 8])
            #expect(try await reader.readExactly(3).bytes == [2, 3, 4])
            #expect(Array(reader.buffered.readableBytesView) == [5, 6, 7, 8])
            try await a.write([9])
            try await a.closeWrite()
            await #expect(throws: StreamError.unexpectedEOF("tail")) { try await reader.readExactly(10, what: "tail") }
            #expect(Array(reader.buffered.readableBytesView) == [5, 6, 7, 8, 9])
        }
    }

    @Test func readExactlyWaitsForALaterWrite() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let got: [UInt8] = {
                var reader = ByteStreamReader(b)
                return try await reader.readExactly(6).bytes
            }()
            try await a.write([1, 2])
            await Task.yield()
            try await a.write([3, 4, 5, 6, 7])
            let bytes = try await got
            #expect(bytes == [1, 2, 3, 4, 5, 6])
        }
    }

    @Test func eofMidMessageIsUnexpectedEOF() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([1, 2, 3])
            try await a.closeWrite()
            var reader = ByteStreamReader(b)
            await #expect(throws: StreamError.unexpectedEOF("frame body")) {
                _ = try await reader.readExactly(5, what: "frame body")
            }
        }
    }

    @Test func eofMidVarintIsUnexpectedEOF() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([0x80, 0x80])
            try await a.closeWrite()
            var reader = ByteStreamReader(b)
            await #expect(throws: StreamError.unexpectedEOF("length")) {
                _ = try await reader.readUVarint(what: "length")
            }
        }
    }

    @Test func closedPeerIsUnexpectedEOFNotAHang() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            async let result: (any Error)? = caughtError {
                var reader = ByteStreamReader(b)
                _ = try await reader.readExactly(1)
            }
            await a.close()
            let error = await result
            #expect(error as? StreamError == .unexpectedEOF("data"))
        }
    }

    @Test func varintSplitAcrossWrites() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([0x80])
            try await a.write([0x80, 0x01, 0x2A])
            var reader = ByteStreamReader(b)
            #expect(try await reader.readUVarint() == 16384)
            #expect(try await reader.readUVarint() == 42)
        }
    }

    @Test func invalidVarintIsAVarintError() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([0x80, 0x00])
            var reader = ByteStreamReader(b)
            await #expect(throws: VarintError.self) { _ = try await reader.readUVarint() }

            try await a.write([UInt8](repeating: 0xFF, count: 3))
            var capped = ByteStreamReader(b)
            await #expect(throws: VarintError.self) { _ = try await capped.readUVarint(maxBytes: 2) }
        }
    }

    @Test func readLengthPrefixedWithinLimit() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([3, 0x61, 0x62])
            try await a.write([0x63, 0, 9])
            var reader = ByteStreamReader(b)
            #expect(try await reader.readLengthPrefixed(limit: 3).bytes == [0x61, 0x62, 0x63])
            #expect(try await reader.readLengthPrefixed(limit: 3).bytes == [])
            #expect(reader.buffered.bytes == [9])
        }
    }

    @Test func readLengthPrefixedOverLimitIsMessageTooLarge() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            // Only the prefix arrives: the reader must refuse without waiting for a body.
            try await a.write(UVarint.encode(100))
            var reader = ByteStreamReader(b)
            await #expect(throws: StreamError.messageTooLarge(100, limit: 10)) {
                _ = try await reader.readLengthPrefixed(limit: 10)
            }
        }
    }

    @Test func hugeLengthPrefixIsClampedInTheError() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write(UVarint.encode(UInt64(Int64.max)))
            var reader = ByteStreamReader(b)
            await #expect(throws: StreamError.messageTooLarge(Int.max, limit: 4096)) {
                _ = try await reader.readLengthPrefixed(limit: 4096)
            }
        }
    }

    @Test func remainingStreamReturnsReadAheadBytesFirst() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            // One write carries a framed message and the next layer's first bytes.
            try await a.write([3, 0x61, 0x62, 0x63, 0x78, 0x79])
            var reader = ByteStreamReader(b)
            #expect(try await reader.readLengthPrefixed(limit: 16).bytes == [0x61, 0x62, 0x63])
            let rest = reader.remainingStream()
            #expect(try await rest.read()?.bytes == [0x78, 0x79])
            try await a.write([0x7A])
            #expect(try await rest.read()?.bytes == [0x7A])
            try await a.closeWrite()
            #expect(try await rest.read() == nil)
        }
    }

    @Test func remainingStreamWithNothingBufferedIsTheStreamItself() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([1, 2])
            var reader = ByteStreamReader(b)
            _ = try await reader.readExactly(2)
            let rest = reader.remainingStream()
            #expect(rest is MemoryByteStream)
            #expect(!(rest is PrefixedByteStream))
        }
    }

    @Test func readSomeDrainsTheBufferBeforeTheStream() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([1, 2, 3, 4])
            var reader = ByteStreamReader(b)
            _ = try await reader.readExactly(1)
            #expect(try await reader.readSome()?.bytes == [2, 3, 4])
            try await a.write([5])
            #expect(try await reader.readSome()?.bytes == [5])
            try await a.closeWrite()
            #expect(try await reader.readSome() == nil)
        }
    }

    @Test func initialBufferIsReadFirst() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            try await a.write([3, 4])
            var reader = ByteStreamReader(b, buffered: ByteBuffer(bytes: [1, 2]))
            #expect(try await reader.readExactly(4).bytes == [1, 2, 3, 4])
        }
    }

    /// A long-lived reader (a muxer's frame loop) that always has a partial frame
    /// left over must not keep every byte it ever read.
    @Test func bufferStaysBoundedWhenLeftoversPersist() async throws {
        try await withTimeout(20) {
            let (a, b) = MemoryPipe.makePair()
            let chunk = [UInt8](repeating: 7, count: 1000)
            async let written: Void = {
                for _ in 0..<2000 { try await a.write(chunk) }
                try await a.closeWrite()
            }()
            var reader = ByteStreamReader(b)
            var total = 0
            var largest = 0
            // 999-byte records never line up with the 1000-byte chunks.
            while total + 999 <= 2000 * 1000 {
                _ = try await reader.readExactly(999)
                total += 999
                largest = max(largest, reader.buffered.capacity)
            }
            try await written
            #expect(largest < 64 * 1024, "reader buffer grew to \(largest) bytes")
        }
    }

    @Test func prefixedStreamReadsPrefixThenBaseAndWritesToBase() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            let prefixed = PrefixedByteStream(prefix: ByteBuffer(bytes: [9, 9]), base: b)
            try await a.write([1])
            #expect(try await prefixed.read()?.bytes == [9, 9])
            #expect(try await prefixed.read()?.bytes == [1])
            try await prefixed.write([5, 6])
            #expect(try await a.read()?.bytes == [5, 6])
            try await prefixed.closeWrite()
            #expect(try await a.read() == nil)
            await prefixed.close()
            #expect(try await prefixed.read() == nil)
        }
    }

    @Test func prefixedStreamWithEmptyPrefixNeverReturnsAnEmptyBuffer() async throws {
        try await withTimeout {
            let (a, b) = MemoryPipe.makePair()
            let prefixed = PrefixedByteStream(prefix: ByteBuffer(), base: b)
            try await a.write([1])
            #expect(try await prefixed.read()?.bytes == [1])
        }
    }

    @Test func streamErrorsDescribeThemselves() {
        #expect(StreamError.unexpectedEOF("header").description == "stream ended while reading header")
        #expect(StreamError.messageTooLarge(5, limit: 4).description.contains("5"))
        #expect(StreamError.messageTooLarge(5, limit: 4).description.contains("4"))
        #expect(!StreamError.closed.description.isEmpty)
    }
}
