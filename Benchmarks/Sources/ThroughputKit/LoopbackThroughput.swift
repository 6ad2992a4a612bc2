import LibP2PBuiltins
import LibP2PCore
import LibP2PRegistry
import NIOCore

/// One stream's throughput through the real upgrader pipeline over loopback TCP:
/// TCP → multistream → security handshake → muxer, a dialer and a listener in one
/// process (each with its own registry, so each side has its own TCP event loop, as
/// two processes would), then one stream each way.
///
/// Upload: the dialer opens a stream, writes `bytes`, closes its write side; the
/// listener drains it to the end and answers one byte. Download: the dialer opens a
/// second stream and writes the count it wants as a big-endian u64; the listener
/// sends that many bytes and closes its write side; the dialer reads to the end.
/// Each is timed on the dialer from its first byte written to the last one known
/// received, so both include the muxer's window round trips.
public struct LoopbackThroughput: Sendable {
    public let security: String
    public let muxer: String
    /// Bytes sent in each direction.
    public let bytes: Int
    /// Size of each write the application makes.
    public let writeSize: Int
    /// A muxer configured otherwise than the registry's (e.g. another yamux window),
    /// used by both sides instead of the one named `muxer`.
    public let muxerOverride: (any MuxerProtocol)?

    public init(
        security: String, muxer: String, bytes: Int, writeSize: Int = 64 * 1024,
        muxerOverride: (any MuxerProtocol)? = nil
    ) {
        precondition(bytes > 0 && writeSize > 0)
        self.security = security
        self.muxer = muxer
        self.bytes = bytes
        self.writeSize = writeSize
        self.muxerOverride = muxerOverride
    }

    public struct Result: Sendable {
        public let bytes: Int
        public let upload: Duration
        public let download: Duration
        /// CPU time the whole process (both sides) spent during each direction.
        public let uploadCPU: Duration
        public let downloadCPU: Duration

        public var uploadGBps: Double { Double(bytes) / Self.seconds(upload) / 1e9 }
        public var downloadGBps: Double { Double(bytes) / Self.seconds(download) / 1e9 }
        /// CPU nanoseconds per byte moved, sender and receiver together.
        public var uploadCPUNanosPerByte: Double { Self.seconds(uploadCPU) * 1e9 / Double(bytes) }
        public var downloadCPUNanosPerByte: Double { Self.seconds(downloadCPU) * 1e9 / Double(bytes) }

        static func seconds(_ duration: Duration) -> Double {
            Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
        }
    }

    /// Sets up both sides, moves the bytes, tears everything down.
    public func run() async throws -> Result {
        let listenerSide = try Side(security: security, muxer: muxer, override: muxerOverride)
        let dialerSide = try Side(security: security, muxer: muxer, override: muxerOverride)
        let listener = try await listenerSide.transport.listen(try Multiaddr("/ip4/127.0.0.1/tcp/0"))
        guard let address = listener.localAddresses.first else { throw ThroughputError("listener has no address") }
        do {
            let result = try await withThrowingTaskGroup(of: Result?.self) { group in
            group.addTask {
                try await withTaskExecutorPreference(listenerSide.transport.preferredTaskExecutor) {
                    try await serve(listener: listener, upgrader: listenerSide.upgrader)
                }
                return nil
            }
            group.addTask {
                try await withTaskExecutorPreference(dialerSide.transport.preferredTaskExecutor) {
                    try await measure(dialing: address, side: dialerSide, expecting: listenerSide.upgrader.localPeer)
                }
            }
            var result: Result?
            while let next = try await group.next() {
                if let next { result = next }
            }
            return result
            }
            await listener.close()
            guard let result else { throw ThroughputError("dialer returned no result") }
            return result
        } catch {
            await listener.close()
            throw error
        }
    }

    /// One side's plugins: a registry of its own (its own TCP event loop) and an
    /// upgrader restricted to the measured combination.
    struct Side: Sendable {
        let transport: any ByteStreamTransport
        let upgrader: Upgrader

        init(security: String, muxer: String, override: (any MuxerProtocol)?) throws {
            let registry = Registry.builtin()
            guard let tcp = try registry.transport(named: "tcp") as? any ByteStreamTransport else {
                preconditionFailure("the registry's tcp carries raw bytes")
            }
            transport = tcp
            upgrader = Upgrader(
                identity: .generateEd25519(), securities: [try registry.security(named: security)],
                muxers: [try override ?? registry.muxer(named: muxer)])
            try upgrader.prepare()
        }
    }

    private func measure(dialing address: Multiaddr, side: Side, expecting peer: PeerID) async throws -> Result {
        let raw = try await side.transport.dial(address)
        let connection = try await side.upgrader.upgradeOutbound(raw, expecting: peer)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await connection.session.run() }
            defer { group.cancelAll() }
            let payload = ByteBuffer(repeating: 0x5A, count: writeSize)

            let upStream = try await connection.session.openStream()
            let uploadStart = ContinuousClock.now
            let uploadCPUStart = ProcessCPUTime.now()
            try await StreamPump.send(bytes, of: payload, to: upStream)
            try await upStream.closeWrite()
            guard try await StreamPump.drain(upStream) == 1 else { throw ThroughputError("upload was not acknowledged") }
            let upload = ContinuousClock.now - uploadStart
            let uploadCPU = ProcessCPUTime.now() - uploadCPUStart
            await upStream.close()

            let downStream = try await connection.session.openStream()
            let downloadStart = ContinuousClock.now
            let downloadCPUStart = ProcessCPUTime.now()
            var request = ByteBuffer()
            request.writeInteger(UInt64(bytes))
            try await downStream.write(request)
            let received = try await StreamPump.drain(downStream)
            let download = ContinuousClock.now - downloadStart
            let downloadCPU = ProcessCPUTime.now() - downloadCPUStart
            try await downStream.closeWrite()
            guard received == bytes else { throw ThroughputError("downloaded \(received) of \(bytes) bytes") }
            await downStream.close()

            await connection.session.close()
            return Result(
                bytes: bytes, upload: upload, download: download, uploadCPU: uploadCPU, downloadCPU: downloadCPU)
        }
    }

    private func serve(listener: any Listener, upgrader: Upgrader) async throws {
        guard let raw = try await listener.accept() else { throw ThroughputError("listener closed before a dial") }
        let connection = try await upgrader.upgradeInbound(raw)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try? await connection.session.run() }
            defer { group.cancelAll() }
            let payload = ByteBuffer(repeating: 0xA5, count: writeSize)

            guard let upStream = try await connection.session.acceptStream() else {
                throw ThroughputError("no upload stream")
            }
            let uploaded = try await StreamPump.drain(upStream)
            guard uploaded == bytes else { throw ThroughputError("received \(uploaded) of \(bytes) uploaded bytes") }
            try await upStream.write([1])
            try await upStream.closeWrite()

            guard let downStream = try await connection.session.acceptStream() else {
                throw ThroughputError("no download stream")
            }
            var reader = ByteStreamReader(downStream)
            var request = try await reader.readExactly(8, what: "download request")
            let wanted = Int(request.readInteger(as: UInt64.self)!)
            try await StreamPump.send(wanted, of: payload, to: downStream)
            try await downStream.closeWrite()
            // The dialer closes its side once it has everything; only then close.
            _ = try await StreamPump.drain(reader.remainingStream())
            await connection.session.close()
        }
    }
}

/// Writing and reading counted bytes.
enum StreamPump {
    /// Writes `count` bytes as repeated (possibly shortened) copies of `payload`. The
    /// payload is never mutated, so each write shares its storage instead of copying.
    static func send(_ count: Int, of payload: ByteBuffer, to stream: any ByteStream) async throws {
        var remaining = count
        while remaining > 0 {
            let n = min(remaining, payload.readableBytes)
            try await stream.write(n == payload.readableBytes ? payload : payload.getSlice(at: payload.readerIndex, length: n)!)
            remaining -= n
        }
    }

    /// Reads to the end; returns how many bytes came.
    static func drain(_ stream: any ByteStream) async throws -> Int {
        var total = 0
        while let chunk = try await stream.read() { total += chunk.readableBytes }
        return total
    }
}

public struct ThroughputError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
