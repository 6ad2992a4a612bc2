internal import CGnuTLS
internal import CNGTCP2
import DequeModule
import LibP2PCore
import LibP2PRegistry
import LibP2PTLSCertificate
import NIOCore

/// One QUIC connection as a synchronous state machine around an `ngtcp2_conn` and its
/// GnuTLS session: datagrams in (`receive`), datagrams out (`writePackets`), timers
/// (`expiry`, `handleExpiry`), stream data in and out. No I/O and no waiting:
/// `QUICConnection` feeds it from the socket and wakes the tasks waiting on it.
///
/// Not thread-safe, like ngtcp2: the owner serialises every call under one lock. The
/// ngtcp2 callbacks (`QUICCallbacks`) run inside those calls and record what happened
/// in `events`, which the owner drains after each call to wake readers and writers.
final class QUICEngine {
    enum Role { case client, server }

    /// What happened since the owner last looked, for waking the right tasks.
    struct Events {
        var readable = Set<Int64>()
        var writable = Set<Int64>()
        var incoming = false
        var streamsOpenable = false
        var handshakeDone = false
    }

    /// Limits and windows: bounded, and sized so one stream can fill a fast link.
    struct Limits {
        /// Streams the peer may have open at once (the muxer suite holds 1,000 open).
        var maxStreams: UInt64 = 1024
        var streamWindow: UInt64 = 1 << 20  // 1 MiB, grown by ngtcp2 up to maxStreamWindow
        var maxStreamWindow: UInt64 = 4 << 20
        var connectionWindow: UInt64 = 8 << 20
        var maxConnectionWindow: UInt64 = 16 << 20
        var idleTimeout: Duration = .seconds(30)
        var handshakeTimeout: Duration = .seconds(10)
        /// What a writer may have written but not yet seen acknowledged.
        var sendBufferLimit = 2 << 20
        /// The one ALPN protocol offered and accepted. Always `libp2p`; tests change
        /// it to play a peer that speaks something else.
        var alpn = QUICTLS.alpn
    }

    let role: Role
    let limits: Limits
    let path: QUICPath
    /// The peer we dialed (client only): its certificate must authenticate this ID.
    let expectedPeer: PeerID?
    private(set) var conn: OpaquePointer!  // ngtcp2_conn*
    private var session: OpaquePointer?  // gnutls_session_t
    private let connRef: UnsafeMutablePointer<ngtcp2_crypto_conn_ref>
    /// Where packets are built before they are copied out (see `writePackets`).
    private let scratch = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: 2048)
    private let credentials: QUICCredentials

    /// The host key the peer's certificate authenticated (set during the handshake).
    private(set) var remoteKey: PublicKey?
    /// Why the handshake failed, when we refused it (certificate, peer ID, ALPN).
    private(set) var refusal: (any Error)?
    private(set) var handshakeComplete = false
    /// Set once the connection is over; every later call is refused.
    var terminated: (any Error)??

    var streams: [Int64: QUICStreamBuffers] = [:]
    /// Streams the peer opened, not yet accepted.
    var incoming = Deque<Int64>()
    var events = Events()
    /// Streams with data or a FIN to send, served round-robin.
    private var sendQueue = Deque<Int64>()

    /// Server: told about connection IDs we issue and retire, so that the listener
    /// routes datagrams carrying them here.
    var onNewConnectionID: (([UInt8]) -> Void)?
    var onRetiredConnectionID: (([UInt8]) -> Void)?

    private init(role: Role, limits: Limits, path: QUICPath, expectedPeer: PeerID?, credentials: QUICCredentials) {
        self.role = role
        self.limits = limits
        self.path = path
        self.expectedPeer = expectedPeer
        self.credentials = credentials
        connRef = .allocate(capacity: 1)
        connRef.initialize(to: ngtcp2_crypto_conn_ref(get_conn: { ref in QUICEngine.owner(of: ref!)?.conn }, user_data: nil))
    }

    deinit {
        if let conn { ngtcp2_conn_del(conn) }
        if let session { gnutls_deinit(session) }
        connRef.deallocate()
        scratch.deallocate()
    }

    /// The engine behind a connection reference (GnuTLS callbacks find it this way).
    static func owner(of ref: UnsafeMutablePointer<ngtcp2_crypto_conn_ref>) -> QUICEngine? {
        guard let pointer = ref.pointee.user_data else { return nil }
        return Unmanaged<QUICEngine>.fromOpaque(pointer).takeUnretainedValue()
    }

    /// The engine whose `ngtcp2_conn` user data is `pointer`.
    static func from(_ pointer: UnsafeMutableRawPointer?) -> QUICEngine {
        Unmanaged<QUICEngine>.fromOpaque(pointer!).takeUnretainedValue()
    }

    // MARK: Making connections

    /// A client connection to `path.remote`, its Initial ready in `writePackets`.
    static func client(
        path: QUICPath, expecting peer: PeerID?, credentials: QUICCredentials, limits: Limits, now: UInt64
    ) throws -> QUICEngine {
        let engine = QUICEngine(role: .client, limits: limits, path: path, expectedPeer: peer, credentials: credentials)
        var dcid = randomCID(length: 18)
        var scid = randomCID(length: 16)
        var settings = engine.settings(now: now)
        var params = engine.transportParameters()
        var callbacks = QUICCallbacks.make(server: false)
        var made: OpaquePointer?
        let status = path.withPath { p in
            shim_ngtcp2_conn_client_new(
                &made, &dcid, &scid, p, shim_NGTCP2_PROTO_VER_V1(), &callbacks, &settings, &params,
                Unmanaged.passUnretained(engine).toOpaque())
        }
        guard status == 0, let made else { throw QUICError.library("ngtcp2_conn_client_new: \(describe(status))") }
        try engine.attach(made)
        return engine
    }

    /// A server connection for a client's first Initial (`header` from `ngtcp2_accept`).
    static func server(
        path: QUICPath, header: ngtcp2_pkt_hd, credentials: QUICCredentials, limits: Limits, now: UInt64,
        onNewConnectionID: @escaping ([UInt8]) -> Void, onRetiredConnectionID: @escaping ([UInt8]) -> Void
    ) throws -> (engine: QUICEngine, sourceCID: [UInt8]) {
        let engine = QUICEngine(role: .server, limits: limits, path: path, expectedPeer: nil, credentials: credentials)
        engine.onNewConnectionID = onNewConnectionID
        engine.onRetiredConnectionID = onRetiredConnectionID
        var header = header
        var scid = randomCID(length: 16)
        var settings = engine.settings(now: now)
        var params = engine.transportParameters()
        params.original_dcid = header.dcid
        var callbacks = QUICCallbacks.make(server: true)
        var made: OpaquePointer?
        let status = path.withPath { p in
            shim_ngtcp2_conn_server_new(
                &made, &header.scid, &scid, p, header.version, &callbacks, &settings, &params,
                Unmanaged.passUnretained(engine).toOpaque())
        }
        guard status == 0, let made else { throw QUICError.library("ngtcp2_conn_server_new: \(describe(status))") }
        try engine.attach(made)
        return (engine, bytes(of: scid))
    }

    private func attach(_ made: OpaquePointer) throws {
        conn = made
        connRef.pointee.user_data = Unmanaged.passUnretained(self).toOpaque()
        session = try QUICTLS.makeSession(
            server: role == .server, credentials: credentials, connRef: connRef, alpn: limits.alpn)
        ngtcp2_conn_set_tls_native_handle(conn, UnsafeMutableRawPointer(session))
        // A PING after half the idle timeout keeps a quiet connection alive; a peer
        // that is gone still times out, as it acknowledges nothing.
        ngtcp2_conn_set_keep_alive_timeout(conn, Self.nanoseconds(limits.idleTimeout) / 2)
    }

    private func settings(now: UInt64) -> ngtcp2_settings {
        var settings = ngtcp2_settings()
        shim_ngtcp2_settings_default(&settings)
        settings.initial_ts = now
        settings.max_window = limits.maxConnectionWindow
        settings.max_stream_window = limits.maxStreamWindow
        settings.handshake_timeout = Self.nanoseconds(limits.handshakeTimeout)
        settings.no_pmtud = 1
        settings.rand_ctx = ngtcp2_rand_ctx(native_handle: nil)
        return settings
    }

    private func transportParameters() -> ngtcp2_transport_params {
        var params = ngtcp2_transport_params()
        shim_ngtcp2_transport_params_default(&params)
        params.initial_max_streams_bidi = limits.maxStreams
        params.initial_max_streams_uni = 0  // libp2p uses bidirectional streams only
        params.initial_max_stream_data_bidi_local = limits.streamWindow
        params.initial_max_stream_data_bidi_remote = limits.streamWindow
        params.initial_max_data = limits.connectionWindow
        params.max_idle_timeout = Self.nanoseconds(limits.idleTimeout)
        params.active_connection_id_limit = 4
        // A peer allowed to grease the fixed bit may clear it, and the listener's
        // routing (ngtcp2_pkt_decode_version_cid) then refuses the packet.
        params.grease_quic_bit = 0
        return params
    }

    // MARK: Datagrams in and out

    /// Processes one datagram from the peer. A failure ends the connection (see `terminated`).
    func receive(_ datagram: ByteBuffer, now: UInt64) {
        guard terminated == nil else { return }
        let status = datagram.withUnsafeReadableBytes { bytes in
            path.withPath { p in
                shim_ngtcp2_conn_read_pkt(conn, p, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count, now)
            }
        }
        if status != 0 { fail(status, now: now) }
    }

    /// ngtcp2's next deadline (loss detection, ACK delay, idle, handshake timeout), in
    /// `QUICClock` nanoseconds; `UInt64.max` when none.
    var expiry: UInt64 { terminated == nil ? ngtcp2_conn_get_expiry(conn) : .max }

    func handleExpiry(now: UInt64) {
        guard terminated == nil else { return }
        let status = ngtcp2_conn_handle_expiry(conn, now)
        if status != 0 { fail(status, now: now) }
    }

    /// Packets to send now (at most `limit`), written round-robin from the streams
    /// with data, gathered for segmentation offload when `offload`. True when more
    /// could be written right away (the limit was hit).
    func writePackets(now: UInt64, limit: Int = 64, offload: Bool = false, into out: inout [QUICDatagram]) -> Bool {
        guard terminated == nil else { return false }
        let size = ngtcp2_conn_get_max_tx_udp_payload_size(conn)
        var packets = 0
        var vectors = [ngtcp2_vec](repeating: ngtcp2_vec(), count: 16)
        var batcher = QUICDatagramBatcher(offload: offload)
        while packets < limit {
            var streamID: Int64 = -1
            var count = 0
            var fin = false
            if let id = sendQueue.first {
                (count, fin) = fillVectors(stream: id, into: &vectors)
                streamID = id
            }
            var flags = shim_NGTCP2_WRITE_STREAM_FLAG_MORE()
            if fin { flags |= shim_NGTCP2_WRITE_STREAM_FLAG_FIN() }
            var accepted: ngtcp2_ssize = -1
            // Always the same scratch buffer: after NGTCP2_ERR_WRITE_MORE ngtcp2 goes on
            // writing the packet it started in the buffer of the previous call.
            let written = vectors.withUnsafeBufferPointer { vecs in
                Int(shim_ngtcp2_conn_writev_stream(
                    conn, scratch.baseAddress, min(size, scratch.count), &accepted, flags, streamID,
                    count > 0 ? vecs.baseAddress : nil, count, now))
            }
            if streamID >= 0 { afterWrite(stream: streamID, accepted: accepted, fin: fin, status: written) }
            if written < 0 {
                switch Int32(written) {
                case NGTCP2_ERR_STREAM_DATA_BLOCKED, NGTCP2_ERR_STREAM_SHUT_WR, NGTCP2_ERR_STREAM_NOT_FOUND,
                    NGTCP2_ERR_WRITE_MORE:
                    continue
                default:
                    fail(Int32(written), now: now)
                    return false
                }
            }
            if written == 0 { break }
            batcher.add(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(scratch)[..<written]), to: &out)
            packets += 1
        }
        // No pacing until the handshake is done: before any RTT sample ngtcp2 paces
        // at cwnd / 333 ms, which held the client's Finished back ~20 ms on loopback.
        if handshakeComplete { ngtcp2_conn_update_pkt_tx_time(conn, now) }
        creditSinceWrite = 0
        return packets == limit
    }

    /// Points `vectors` at the stream's unsent bytes; says whether they end with the FIN.
    private func fillVectors(stream id: Int64, into vectors: inout [ngtcp2_vec]) -> (Int, Bool) {
        guard let stream = streams[id] else { return (0, false) }
        var count = 0
        var offset = stream.sentOffset
        for chunk in stream.chunks where chunk.end > offset {
            guard count < vectors.count else { break }
            let skip = Int(offset - chunk.offset)
            vectors[count] = ngtcp2_vec(
                base: chunk.bytes.baseAddress!.assumingMemoryBound(to: UInt8.self) + skip, len: chunk.bytes.count - skip)
            count += 1
            offset = chunk.end
        }
        return (count, stream.finRequested && offset == stream.writtenOffset)
    }

    /// Books what ngtcp2 took from the stream and moves the send queue along.
    private func afterWrite(stream id: Int64, accepted: ngtcp2_ssize, fin: Bool, status: Int) {
        sendQueue.removeFirst()
        guard streams[id] != nil else { return }
        if accepted >= 0 {
            streams[id]!.sentOffset += UInt64(accepted)
            if fin, streams[id]!.sentOffset == streams[id]!.writtenOffset { streams[id]!.finSent = true }
        }
        switch Int32(clamping: status) {
        case NGTCP2_ERR_STREAM_DATA_BLOCKED:
            streams[id]!.dataBlocked = true  // back in the queue when the peer extends the window
        case NGTCP2_ERR_STREAM_SHUT_WR, NGTCP2_ERR_STREAM_NOT_FOUND:
            streams[id]!.stopSendingCode = streams[id]!.stopSendingCode ?? 0  // nothing more goes out
        default:
            break
        }
        guard streams[id]!.hasSomethingToSend else {
            streams[id]!.queued = false
            return
        }
        // Something was taken: to the back, so the next packet serves another stream.
        // Nothing was (congestion): stay first for when sending resumes.
        if accepted > 0 || streams[id]!.finSent { sendQueue.append(id) } else { sendQueue.prepend(id) }
    }

    func enqueueForSending(_ id: Int64) {
        guard let stream = streams[id], !stream.queued, stream.hasSomethingToSend else { return }
        streams[id]!.queued = true
        sendQueue.append(id)
    }

    /// The CONNECTION_CLOSE to send after a fatal error, if any (`fail` queues it here).
    var pendingClose: ByteBuffer?

    /// Window given back since packets were last written. The updates ride on the
    /// next packet anyway; a reader forces one out only past this much, far below
    /// any window, so a sender is never left waiting for it.
    var creditSinceWrite = 0
    static let creditFlushThreshold = 128 * 1024
    var windowUpdateDue: Bool { creditSinceWrite >= Self.creditFlushThreshold }

    // MARK: Handshake

    /// Called by GnuTLS with the peer's certificate chain: the shared libp2p verifier,
    /// then (dialer) the peer ID we expect.
    func authenticatePeer(chain: [[UInt8]]) -> Bool {
        do {
            let key = try LibP2PCertificate.verify(chain: chain)
            if let expectedPeer, key.peerID != expectedPeer {
                throw SecurityError.peerIDMismatch(expected: expectedPeer, actual: key.peerID)
            }
            remoteKey = key
            return true
        } catch {
            refusal = error
            return false
        }
    }

    /// ngtcp2 says the handshake is done: check ALPN and that the peer authenticated.
    func handshakeCompleted() -> Bool {
        guard let session else { return false }
        let alpn = QUICTLS.selectedALPN(session)
        guard alpn == limits.alpn else {
            refusal = QUICError.wrongALPN(alpn)
            return false
        }
        guard remoteKey != nil else {
            refusal = QUICError.handshakeFailed("the peer presented no certificate")
            return false
        }
        handshakeComplete = true
        events.handshakeDone = true
        return true
    }

    // MARK: Helpers

    static func describe(_ status: Int32) -> String {
        String(cString: ngtcp2_strerror(status))
    }

    static func nanoseconds(_ duration: Duration) -> UInt64 {
        let (seconds, attoseconds) = duration.components
        return UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    }

    static func randomCID(length: Int) -> ngtcp2_cid {
        var bytes = [UInt8](repeating: 0, count: length)
        _ = gnutls_rnd(GNUTLS_RND_RANDOM, &bytes, length)
        var cid = ngtcp2_cid()
        ngtcp2_cid_init(&cid, bytes, length)
        return cid
    }

    static func bytes(of cid: ngtcp2_cid) -> [UInt8] {
        withUnsafeBytes(of: cid.data) { Array($0.prefix(cid.datalen)) }
    }
}
