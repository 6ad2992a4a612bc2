import LibP2PCore
import NIOCore

/// The `/perf/1.0.0` client on one connection: one stream per transfer.
public enum PerfClient {
    /// Uploads `upload` bytes and asks for `download` back, on a fresh stream
    /// (the header rides with the protocol proposal). Timed from just before the
    /// stream opens to the server's end of stream. `progress`, when given, hears
    /// the bytes moved in each `interval` (test-plans' intermediary lines).
    public static func run(
        on connection: Connection, upload: UInt64, download: UInt64,
        progress: PerfProgress? = nil
    ) async throws -> PerfTransfer {
        let clock = ContinuousClock()
        let start = clock.now
        var meter = PerfMeter(progress, start: start)
        let stream = try await connection.newStream(PerfProtocol.id, pipelining: PerfProtocol.header(requesting: download))
        do {
            try await PerfProtocol.send(upload, on: stream) { meter.add(sent: $0) }
            try await stream.closeWrite()
            let uploaded = clock.now
            var received: UInt64 = 0
            while let chunk = try await stream.read() {
                received += UInt64(chunk.readableBytes)
                // More than asked for is a broken server: stop reading at once.
                guard received <= download else { throw PerfError.wrongDownload(expected: download, received: received) }
                meter.add(received: chunk.readableBytes)
            }
            guard received == download else { throw PerfError.wrongDownload(expected: download, received: received) }
            let end = clock.now
            await stream.close()
            return PerfTransfer(
                uploadBytes: upload, downloadBytes: download, uploadTime: uploaded - start, elapsed: end - start)
        } catch {
            await stream.reset()
            throw error
        }
    }
}

/// One finished transfer.
public struct PerfTransfer: Sendable, Equatable {
    public var uploadBytes: UInt64
    public var downloadBytes: UInt64
    /// From just before the stream opened to our write side closed.
    public var uploadTime: Duration
    /// From just before the stream opened to the server's end of stream.
    public var elapsed: Duration
}

/// Hears, every `interval`, what moved in it.
public struct PerfProgress: Sendable {
    public var interval: Duration
    public var report: @Sendable (PerfInterval) -> Void

    public init(every interval: Duration = .seconds(1), _ report: @escaping @Sendable (PerfInterval) -> Void) {
        self.interval = interval
        self.report = report
    }
}

/// The bytes moved in one progress interval.
public struct PerfInterval: Sendable, Equatable {
    public var duration: Duration
    public var uploadBytes: UInt64
    public var downloadBytes: UInt64
}

/// Counts bytes and hands them to the progress callback once per interval; one
/// clock read per block, so a transfer without a callback pays nothing else.
struct PerfMeter {
    private let progress: PerfProgress?
    private let clock = ContinuousClock()
    private var since: ContinuousClock.Instant
    private var sent: UInt64 = 0
    private var received: UInt64 = 0

    init(_ progress: PerfProgress?, start: ContinuousClock.Instant) {
        self.progress = progress
        self.since = start
    }

    mutating func add(sent bytes: Int) {
        sent += UInt64(bytes)
        tick()
    }

    mutating func add(received bytes: Int) {
        received += UInt64(bytes)
        tick()
    }

    private mutating func tick() {
        guard let progress else { return }
        let now = clock.now
        guard now - since >= progress.interval else { return }
        progress.report(PerfInterval(duration: now - since, uploadBytes: sent, downloadBytes: received))
        since = now
        sent = 0
        received = 0
    }
}
