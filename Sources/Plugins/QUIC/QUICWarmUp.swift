internal import CNGTCP2
import LibP2PCore
import NIOCore

/// One handshake between two engines in memory, no socket, run once per process
/// from `QUICTransport.prepare(identity:)`: the first handshake of a process pays
/// for code and data touched for the first time (GnuTLS's session set-up, key
/// generation and certificate paths, ngtcp2's packet protection, our own code),
/// and without this that lands inside the first dial or accept, where the
/// benchmark measures. Both sides run, so a listener gains as much as a dialer.
enum QUICWarmUp {
    private static let done = LockedState(false)

    /// Runs the in-memory handshake the first time it is called; later calls return.
    static func once(credentials: QUICCredentials, limits: QUICEngine.Limits) {
        let first = done.withLock { done -> Bool in
            defer { done = true }
            return !done
        }
        guard first else { return }
        try? handshake(credentials: credentials, limits: limits)
    }

    /// Datagrams back and forth until both sides are done (a few rounds; bounded).
    private static func handshake(credentials: QUICCredentials, limits: QUICEngine.Limits) throws {
        let clientAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 9)
        let serverAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 10)
        let client = try QUICEngine.client(
            path: QUICPath(local: clientAddress, remote: serverAddress), expecting: credentials.owner.peerID,
            credentials: credentials, limits: limits, now: QUICClock.now)
        var toServer: [QUICDatagram] = []
        _ = client.writePackets(now: QUICClock.now, into: &toServer)
        guard let first = toServer.first?.bytes else { return }
        var header = ngtcp2_pkt_hd()
        let valid = first.withUnsafeReadableBytes { bytes in
            ngtcp2_accept(&header, bytes.bindMemory(to: UInt8.self).baseAddress, bytes.count) == 0
        }
        guard valid else { return }
        let (server, _) = try QUICEngine.server(
            path: QUICPath(local: serverAddress, remote: clientAddress), header: header, credentials: credentials,
            limits: limits, now: QUICClock.now, onNewConnectionID: { _ in }, onRetiredConnectionID: { _ in })
        for _ in 0..<6 {
            for datagram in toServer { server.receive(datagram.bytes, now: QUICClock.now) }
            toServer.removeAll()
            var toClient: [QUICDatagram] = []
            _ = server.writePackets(now: QUICClock.now, into: &toClient)
            for datagram in toClient { client.receive(datagram.bytes, now: QUICClock.now) }
            _ = client.writePackets(now: QUICClock.now, into: &toServer)
            if client.handshakeComplete && server.handshakeComplete { break }
        }
        QUICDebug.log("warm-up handshake in memory: client \(client.handshakeComplete ? "done" : "not done"), server \(server.handshakeComplete ? "done" : "not done")")
        _ = client.close(now: QUICClock.now)
        _ = server.close(now: QUICClock.now)
    }
}
