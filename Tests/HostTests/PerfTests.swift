import LibP2PCore
import LibP2PHost
import LibP2PRegistry
import NIOCore
import Testing

/// `/perf/1.0.0` between two hosts over real TCP: exact byte counts both ways on
/// every combination, off unless enabled, and the server's and client's answers
/// to peers that break the protocol.
@Suite("Perf over the host")
struct PerfTests {
    static let combinations = TestHosts.registry.combinations

    /// Sizes that are not multiples of the 64 KiB block, with one direction empty.
    static let transfers: [(upload: UInt64, download: UInt64)] = [(1_000_003, 0), (0, 777_777), (1, 1), (200_000, 300_001)]

    @Test("transfers move exactly the bytes asked for", arguments: combinations)
    func transfers(_ combination: Combination) async throws {
        let listenerHost = try TestHosts.host(combination)
        listenerHost.enablePerf()
        let dialerHost = try TestHosts.host(combination)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(60), "perf \(combination)") {
                try await dialerHost.withConnection(to: address) { connection in
                    for (upload, download) in Self.transfers {
                        let transfer = try await PerfClient.run(on: connection, upload: upload, download: download)
                        #expect(transfer.uploadBytes == upload && transfer.downloadBytes == download)
                        #expect(transfer.elapsed >= transfer.uploadTime)
                    }
                }
            }
        }
    }

    @Test("the server counts the upload it drained")
    func uploadCounted() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        let drained = AsyncLatch<UInt64>()
        // The spec's server, with a reader that tallies what it drains.
        listenerHost.handle(PerfProtocol.id) { stream, _ in
            let counting = CountingStream(stream)
            try await PerfProtocol.serve(counting)
            _ = drained.set(counting.count - UInt64(PerfProtocol.headerSize))
        }
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "perf upload") {
                try await dialerHost.withConnection(to: address) { connection in
                    _ = try await PerfClient.run(on: connection, upload: 3 * 65_536 + 5, download: 10)
                }
            }
        }
        #expect(await drained.wait() == 3 * 65_536 + 5)
    }

    @Test("a host does not serve perf until asked to, and stops when told")
    func offByDefault() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        #expect(!listenerHost.protocols.contains(PerfProtocol.id))
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "perf off") {
                try await dialerHost.withConnection(to: address) { connection in
                    await #expect(throws: HostError.self) {
                        _ = try await PerfClient.run(on: connection, upload: 1, download: 1)
                    }
                    listenerHost.enablePerf()
                    _ = try await PerfClient.run(on: connection, upload: 1, download: 1)
                    listenerHost.disablePerf()
                    await #expect(throws: HostError.self) {
                        _ = try await PerfClient.run(on: connection, upload: 1, download: 1)
                    }
                }
            }
        }
    }

    @Test("a header cut short is reported as such, and the stream is reset")
    func shortHeader() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        let failure = AsyncLatch<PerfError>()
        listenerHost.handle(PerfProtocol.id) { stream, _ in
            do {
                try await PerfProtocol.serve(stream)
            } catch let error as PerfError {
                _ = failure.set(error)
                throw error
            }
        }
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        let answer = try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "short header") {
                try await dialerHost.withConnection(to: address) { connection in
                    let stream = try await connection.newStream(PerfProtocol.id, pipelining: ByteBuffer(bytes: [0, 0, 1]))
                    try await stream.closeWrite()
                    do {
                        return try await stream.read()?.readableBytes ?? 0
                    } catch {
                        return -1  // reset
                    }
                }
            }
        }
        #expect(await failure.wait() == .shortHeader(received: 3))
        #expect(answer <= 0)
    }

    @Test("a request over the server's limit fails the client instead of streaming")
    func requestOverLimit() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        listenerHost.enablePerf(limits: PerfLimits(maxSendBytes: 1000, maxReceiveBytes: 5000))
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "perf limits") {
                try await dialerHost.withConnection(to: address) { connection in
                    _ = try await PerfClient.run(on: connection, upload: 5000, download: 1000)
                    await #expect(throws: (any Error).self) {
                        _ = try await PerfClient.run(on: connection, upload: 0, download: 1001)
                    }
                    await #expect(throws: (any Error).self) {
                        _ = try await PerfClient.run(on: connection, upload: 5001, download: 0)
                    }
                }
            }
        }
    }

    @Test("a server that sends more or less than asked is caught")
    func wrongDownload() async throws {
        let listenerHost = try TestHosts.host(TestHosts.noiseYamux)
        // Sends back the requested count plus the number of bytes uploaded.
        listenerHost.handle(PerfProtocol.id) { stream, _ in
            var reader = ByteStreamReader(stream)
            var header = try await reader.readExactly(8, what: "header")
            let requested = header.readInteger(as: UInt64.self)!
            var uploaded = 0
            while let chunk = try await reader.readSome() { uploaded += chunk.readableBytes }
            try await stream.write(ByteBuffer(repeating: 7, count: Int(requested) + uploaded))
            try await stream.closeWrite()
        }
        let dialerHost = try TestHosts.host(TestHosts.noiseYamux)
        try await TestHosts.serving(listenerHost) { _, address in
            try await withDeadline(.seconds(20), "wrong download") {
                try await dialerHost.withConnection(to: address) { connection in
                    _ = try await PerfClient.run(on: connection, upload: 0, download: 10)
                    await #expect(throws: PerfError.wrongDownload(expected: 10, received: 13)) {
                        _ = try await PerfClient.run(on: connection, upload: 3, download: 10)
                    }
                }
            }
        }
    }

    @Test("the header is the request as a big-endian u64")
    func header() {
        #expect(Array(PerfProtocol.header(requesting: 0x0102_0304_0506_0708).readableBytesView) == [1, 2, 3, 4, 5, 6, 7, 8])
    }
}

/// A stream that counts the bytes read through it.
final class CountingStream: ByteStream {
    private let base: any ByteStream
    private let total = LockedState<UInt64>(0)

    init(_ base: any ByteStream) { self.base = base }

    var count: UInt64 { total.withLock { $0 } }

    func read() async throws -> ByteBuffer? {
        let chunk = try await base.read()
        if let chunk { total.withLock { $0 += UInt64(chunk.readableBytes) } }
        return chunk
    }
    func write(_ buffer: ByteBuffer) async throws { try await base.write(buffer) }
    func closeWrite() async throws { try await base.closeWrite() }
    func close() async { await base.close() }
}
