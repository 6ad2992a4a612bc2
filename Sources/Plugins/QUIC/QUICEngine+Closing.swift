internal import CNGTCP2
import LibP2PCore
import NIOCore

/// How a connection ends: our close, an abort before the handshake is done, and a
/// fatal ngtcp2 status turned into the error the owner reports (and the
/// CONNECTION_CLOSE the protocol asks for).
extension QUICEngine {
    /// A CONNECTION_CLOSE for the peer, and the end of this connection. Nil when
    /// there is nothing to tell (already over). Once established it is application
    /// error 0, a normal close; a listener closing a connection still in its
    /// handshake (its owner shed it, or gave up waiting) refuses it with
    /// CONNECTION_REFUSED, so the dialer fails at once instead of retransmitting
    /// until its handshake timeout (or, its own handshake done, its idle timeout).
    func close(now: UInt64) -> ByteBuffer? {
        guard terminated == nil else { return nil }
        terminated = .some(nil)
        var error = ngtcp2_connection_close_error()
        if role == .server && !handshakeComplete {
            ngtcp2_connection_close_error_set_transport_error(&error, UInt64(NGTCP2_CONNECTION_REFUSED), nil, 0)
        } else {
            ngtcp2_connection_close_error_set_application_error(&error, 0, nil, 0)
        }
        return connectionClose(error, now: now)
    }

    /// Ends a connection still in its handshake without telling the peer (its
    /// socket is closed). Once established, QUIC's own timers decide.
    func abort(_ error: any Error) {
        guard terminated == nil, !handshakeComplete else { return }
        terminated = .some(error)
    }

    private func connectionClose(_ error: ngtcp2_connection_close_error, now: UInt64) -> ByteBuffer? {
        var error = error
        let size = ngtcp2_conn_get_max_tx_udp_payload_size(conn)
        var packet = ByteBufferAllocator().buffer(capacity: size)
        packet.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { space in
            max(0, Int(shim_ngtcp2_conn_write_connection_close(conn, space.bindMemory(to: UInt8.self).baseAddress, size, &error, now)))
        }
        return packet.readableBytes > 0 ? packet : nil
    }

    /// Ends the connection on ngtcp2 status `status`, queueing a CONNECTION_CLOSE
    /// where the protocol asks for one.
    func fail(_ status: Int32, now: UInt64) {
        guard terminated == nil else { return }
        switch status {
        case NGTCP2_ERR_DRAINING:
            // The peer closed: an application close with code 0 is a clean end.
            var error = ngtcp2_connection_close_error()
            ngtcp2_conn_get_connection_close_error(conn, &error)
            if error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_APPLICATION && error.error_code == 0 {
                terminated = .some(nil)
            } else if error.type == NGTCP2_CONNECTION_CLOSE_ERROR_CODE_TYPE_TRANSPORT
                && error.error_code == UInt64(NGTCP2_CONNECTION_REFUSED)
            {
                terminated = .some(QUICError.refused)
            } else {
                let reason = error.reason.map { String(decoding: UnsafeBufferPointer(start: $0, count: error.reasonlen), as: UTF8.self) } ?? ""
                terminated = .some(handshakeComplete ? QUICError.closedByPeer(code: error.error_code, reason: reason) : QUICError.handshakeFailed("the peer closed the connection during the handshake (error 0x\(String(error.error_code, radix: 16))\(reason.isEmpty ? "" : ": \(reason)"))"))
            }
            return
        case NGTCP2_ERR_IDLE_CLOSE:
            terminated = .some(QUICError.idleTimeout)
            return
        case NGTCP2_ERR_HANDSHAKE_TIMEOUT:
            terminated = .some(QUICError.handshakeTimeout(seconds: Double(limits.handshakeTimeout.components.seconds)))
            return
        case NGTCP2_ERR_DROP_CONN, NGTCP2_ERR_CLOSING:
            terminated = .some(QUICError.connectionClosed)
            return
        default:
            break
        }
        var error = ngtcp2_connection_close_error()
        if status == NGTCP2_ERR_CRYPTO {
            ngtcp2_connection_close_error_set_transport_error_tls_alert(&error, ngtcp2_conn_get_tls_alert(conn), nil, 0)
        } else {
            ngtcp2_connection_close_error_set_transport_error_liberr(&error, status, nil, 0)
        }
        let why: any Error =
            refusal
            ?? (handshakeComplete
                ? QUICError.transport(Self.describe(status))
                : QUICError.handshakeFailed(status == NGTCP2_ERR_CRYPTO
                    ? "TLS alert \(ngtcp2_conn_get_tls_alert(conn)) (\(Self.describe(status)))" : Self.describe(status)))
        pendingClose = connectionClose(error, now: now)
        terminated = .some(why)
    }
}
