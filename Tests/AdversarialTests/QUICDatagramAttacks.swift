#if canImport(Glibc)
import Glibc
#endif
import LibP2PCore
import Testing

/// Attacks on a quic-v1 listener with raw UDP datagrams, below any QUIC or TLS
/// state: garbage, a short or oversized Initial, an unknown version, a flood of
/// Initials that cannot decrypt. The listener must drop what it cannot use
/// (answering an unknown version with a version negotiation packet, RFC 9000
/// §6) and keep serving honest peers on the same socket.
@Suite("Adversarial: quic-v1 datagrams", .serialized, .listenerUnderAttack(standalone: "quic-v1"))
struct QUICDatagramAttacks {
    @Test("QUIC: 2,000 short-header datagrams of random garbage are dropped; honest peers get through")
    func garbage() async throws {
        try await AttackedListener.shared.survives(accepting: [.ignored]) { listener in
            let socket = try UDPProbe(to: listener)
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<2_000 {
                let size = Int.random(in: 1...1_500, using: &generator)
                var datagram = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                // A short header (a long one of an unknown version is owed an answer, see below).
                datagram[0] = datagram[0] & 0x7F | 0x40
                try socket.send(datagram)
            }
            // No connection has these IDs: nothing to answer but, at most, a stateless reset.
            while let answer = try socket.receive(within: .milliseconds(300)) {
                guard answer.count >= 21, answer[0] & 0xC0 == 0x40 else {
                    throw AttackFailure("the listener answered garbage with \(answer.count) bytes that are no stateless reset")
                }
            }
            return .ignored
        }
    }

    /// Sends `count` datagrams made by `datagram` and expects no answer at all.
    static func droppedUnanswered(_ count: Int = 1, _ datagram: @escaping @Sendable () -> [UInt8]) async throws {
        try await AttackedListener.shared.survives(accepting: [.ignored]) { listener in
            let socket = try UDPProbe(to: listener)
            for _ in 0..<count { try socket.send(datagram()) }
            return try socket.expectSilence(for: .milliseconds(500))
        }
    }

    @Test("QUIC: an Initial shorter than 1,200 bytes is dropped (RFC 9000 §14.1)")
    func shortInitial() async throws {
        try await Self.droppedUnanswered { QUICPacket.longHeader(version: 1, padTo: 600) }
    }

    @Test("QUIC: a 65,000-byte datagram is dropped")
    func oversizedDatagram() async throws {
        try await Self.droppedUnanswered { QUICPacket.longHeader(version: 1, padTo: 65_000) }
    }

    @Test("QUIC: an unknown version gets a version negotiation packet offering version 1")
    func unknownVersion() async throws {
        try await AttackedListener.shared.survives(accepting: [.versionNegotiation]) { listener in
            let socket = try UDPProbe(to: listener)
            let packet = QUICPacket.longHeader(version: 0x1A2A_3A4A, padTo: 1_200)
            try socket.send(packet)
            guard let answer = try socket.receive(within: .seconds(2)) else {
                throw AttackFailure("no answer to version 0x1a2a3a4a; a version negotiation packet was due")
            }
            let versions = try QUICPacket.negotiatedVersions(answer, echoing: packet)
            guard versions.contains(1) else {
                throw AttackFailure("the version negotiation packet offers \(versions.map { String($0, radix: 16) }), not version 1")
            }
            return .versionNegotiation
        }
    }

    @Test("QUIC: 2,000 Initials that cannot decrypt leave no state behind; honest peers get through")
    func undecryptableInitials() async throws {
        try await Self.droppedUnanswered(2_000) { QUICPacket.longHeader(version: 1, padTo: 1_200) }
    }
}

/// Long-header packets built by hand (RFC 9000 §17.2): first byte 0b11TT_xxxx,
/// version, DCID and SCID with their lengths, then filler.
enum QUICPacket {
    /// An Initial-typed long header of `version` with random 8-byte connection IDs,
    /// padded with random bytes to `padTo`.
    static func longHeader(version: UInt32, padTo size: Int) -> [UInt8] {
        var packet: [UInt8] = [0xC3]
        packet += withUnsafeBytes(of: version.bigEndian, Array.init)
        packet += [8] + (0..<8).map { _ in UInt8.random(in: 0...255) }
        packet += [8] + (0..<8).map { _ in UInt8.random(in: 0...255) }
        packet += [0]  // token length
        while packet.count < size { packet.append(UInt8.random(in: 0...255)) }
        return packet
    }

    /// The versions a version negotiation packet offers, after checking it is one
    /// (version 0) and that it echoes our connection IDs swapped.
    static func negotiatedVersions(_ answer: [UInt8], echoing sent: [UInt8]) throws -> [UInt32] {
        guard answer.count >= 7, answer[0] & 0x80 != 0, answer[1..<5].allSatisfy({ $0 == 0 }) else {
            throw AttackFailure("the answer is not a version negotiation packet: \(answer.prefix(16))")
        }
        var at = 5
        let dcid = Array(answer[(at + 1)..<(at + 1 + Int(answer[at]))])
        at += 1 + Int(answer[at])
        let scid = Array(answer[(at + 1)..<(at + 1 + Int(answer[at]))])
        at += 1 + Int(answer[at])
        let sentDCID = Array(sent[6..<14])
        let sentSCID = Array(sent[15..<23])
        guard dcid == sentSCID, scid == sentDCID else {
            throw AttackFailure("the version negotiation packet does not echo our connection IDs")
        }
        var versions: [UInt32] = []
        while at + 4 <= answer.count {
            versions.append(answer[at..<(at + 4)].reduce(0) { $0 << 8 | UInt32($1) })
            at += 4
        }
        return versions
    }
}

/// A connected UDP socket to the listener's port.
final class UDPProbe {
    private let fd: Int32

    init(to listener: AttackedListener) throws {
        guard case .udp(let port)? = listener.address.components.first(where: { if case .udp = $0 { return true } else { return false } }) else {
            throw AttackFailure("the listener's address \(listener.address) has no UDP port")
        }
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw AttackFailure("socket() failed: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(fd)
            throw AttackFailure("connect() failed: errno \(errno)")
        }
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) throws {
        let sent = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
        // EMSGSIZE and friends are the kernel refusing; the point is what the listener does.
        if sent < 0, errno != EMSGSIZE, errno != ECONNREFUSED { throw AttackFailure("send() failed: errno \(errno)") }
    }

    /// The next datagram within `limit`, or nil.
    func receive(within limit: Duration) throws -> [UInt8]? {
        var timeout = timeval(tv_sec: Int(limit.components.seconds), tv_usec: Int(limit.components.attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { return nil }
            throw AttackFailure("recv() failed: errno \(errno)")
        }
        return Array(buffer.prefix(count))
    }

    /// Fails if the listener answers within `limit`: what it cannot use it drops.
    func expectSilence(for limit: Duration) throws -> CutOff {
        if let answer = try receive(within: limit) {
            throw AttackFailure("the listener answered \(answer.count) bytes to datagrams it should drop")
        }
        return .ignored
    }
}
