import LibP2PCore
import LibP2PRegistry
import Testing

/// Attacks on the first bytes of a connection (TCP, multistream-select) against
/// a tcp/noise/yamux listener.
@Suite("Adversarial: TCP and multistream", .serialized, .listenerUnderAttack(security: "noise", muxer: "yamux"))
struct TCPAndMultistreamAttacks {
    @Test("TCP: 300 idle connections are dropped at the upgrade deadline, honest peers get through meanwhile")
    func idle() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(15)) { listener in
            let connections = try await (0..<300).asyncMap { _ in try await Attacker.connect(listener) }
            var cutOffs: [CutOff] = []
            for connection in connections { cutOffs.append(await Attacker.untilClosed(connection)) }
            return cutOffs.allSatisfy { $0 == .connectionClosed } ? .connectionClosed : .streamReset(0)
        }
    }

    @Test("TCP: slowloris, one byte of the multistream header every 300 ms, is dropped at the deadline")
    func slowloris() async throws {
        try await AttackedListener.shared.survives(cutOffWithin: .seconds(15)) { listener in
            let connection = try await Attacker.connect(listener)
            return await withTaskGroup(of: CutOff?.self) { group in
                group.addTask {
                    for byte in Attacker.multistream(Multistream.protocolID) + Array(repeating: 0x2f, count: 1000) {
                        guard (try? await connection.write([byte])) != nil else { return nil }
                        try? await Task.sleep(for: .milliseconds(300))
                    }
                    return nil
                }
                let cutOff = await Attacker.untilClosed(connection)
                group.cancelAll()
                return cutOff
            }
        }
    }

    @Test("TCP: a storm of 500 connect-and-close leaves the listener's descriptors where they were")
    func connectCloseStorm() async throws {
        let listener = try AttackedListener.shared
        let descriptorsBefore = try listener.openDescriptors()
        try await listener.survives(cutOffWithin: .seconds(15)) { listener in
            for _ in 0..<500 { try await Attacker.connect(listener).close() }
            return .connectionClosed
        }
        var descriptors = try listener.openDescriptors()
        for _ in 0..<100 where descriptors > descriptorsBefore {
            try await Task.sleep(for: .milliseconds(50))
            descriptors = try listener.openDescriptors()
        }
        #expect(descriptors <= descriptorsBefore, "descriptors: \(descriptorsBefore) before, \(descriptors) after")
    }

    /// Sends `bytes` on a fresh connection and waits for the listener to hang up.
    static func send(_ bytes: [UInt8]) -> @Sendable (AttackedListener) async throws -> CutOff {
        { listener in
            let connection = try await Attacker.connect(listener)
            try await connection.write(bytes)
            return await Attacker.untilClosed(connection)
        }
    }

    static let header = Attacker.multistream(Multistream.protocolID)

    @Test("multistream: a 5,000-byte line (the limit is 1,024) is refused")
    func oversizeLine() async throws {
        try await AttackedListener.shared.survives(
            Self.send(Self.header + Attacker.uvarint(5000) + Array(repeating: 0x61, count: 4999) + [0x0a]))
    }

    @Test("multistream: a length varint that never ends is refused")
    func badVarint() async throws {
        try await AttackedListener.shared.survives(Self.send(Self.header + Array(repeating: 0xff, count: 12)))
    }

    @Test("multistream: another version's header is refused")
    func wrongHeader() async throws {
        try await AttackedListener.shared.survives(Self.send(Attacker.multistream("/multistream/2.0.0")))
    }

    @Test("multistream: a message without its newline is refused")
    func missingNewline() async throws {
        try await AttackedListener.shared.survives(Self.send(Self.header + Attacker.uvarint(6) + Attacker.bytes("/noise")))
    }

    @Test("multistream: an endless loop of unsupported proposals (each answered na) is cut off")
    func endlessNa() async throws {
        try await AttackedListener.shared.survives { listener in
            let connection = try await Attacker.connect(listener)
            return await withTaskGroup(of: CutOff?.self) { group in
                group.addTask {
                    guard (try? await connection.write(Self.header)) != nil else { return nil }
                    for index in 0..<100_000 {
                        guard (try? await connection.write(Attacker.multistream("/nope/\(index)"))) != nil else { return nil }
                    }
                    return nil
                }
                let cutOff = await Attacker.untilClosed(connection)
                group.cancelAll()
                return cutOff
            }
        }
    }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
