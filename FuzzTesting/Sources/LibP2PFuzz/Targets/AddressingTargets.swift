import LibP2PCore

/// Varints, multiaddrs (binary and text), peer IDs and CIDs as text.
enum AddressingTargets {
    static let all = [uvarint, multiaddrBinary, multiaddrText, peerIDText]

    static let uvarint = FuzzTarget(
        name: "uvarint",
        run: { bytes in
            // A decoded value re-encodes to exactly the bytes it came from: decoding
            // accepts minimal encodings only.
            if case .value(let value, let length) = UVarint.decode(bytes) {
                precondition(UVarint.encode(value) == Array(bytes.prefix(length)), "uvarint does not round-trip")
            }
        },
        seeds: { [[0], [0x7F], [0x80, 0x01], [0xAC, 0x02], [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x7F]] })

    static let multiaddrBinary = FuzzTarget(
        name: "multiaddr-binary",
        run: { bytes in
            guard let address = try? Multiaddr(bytes: bytes) else { return }
            // What we accept re-encodes to the same bytes, and what we print parses
            // back to the same address.
            precondition(address.bytes == bytes, "multiaddr bytes do not round-trip: \(address)")
            precondition((try? Multiaddr(address.description)) == address, "multiaddr text does not round-trip: \(address)")
            _ = address.tcpHostPort
            _ = address.peerID
        },
        seeds: { sampleAddresses.compactMap { try? Multiaddr($0).bytes } })

    static let multiaddrText = FuzzTarget(
        name: "multiaddr-text",
        run: { bytes in
            guard let address = try? Multiaddr(String(decoding: bytes, as: UTF8.self)) else { return }
            _ = try? Multiaddr(bytes: address.bytes)
        },
        seeds: { sampleAddresses.map { Array($0.utf8) } })

    static let peerIDText = FuzzTarget(
        name: "peerid-text",
        run: { bytes in
            guard let id = try? PeerID(String(decoding: bytes, as: UTF8.self)) else { return }
            _ = id.inlinedPublicKey
            precondition((try? PeerID(id.cidString)) == id && (try? PeerID(id.description)) == id, "peer ID does not round-trip: \(id)")
        },
        seeds: {
            let key = PublicKey.fuzzSeedKey
            return [
                Array(key.peerID.description.utf8), Array(key.peerID.cidString.utf8),
                Array("QmVMT29id3TUASyfZZ6k9hmNyc2nYabCo4uMSpDw4zrgDk".utf8),
                Array("16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY".utf8),
            ]
        })

    static let sampleAddresses = [
        "/ip4/127.0.0.1/tcp/4001",
        "/ip6/::1/tcp/4001/ws",
        "/ip4/10.0.0.1/tcp/443/tls/sni/example.com/ws",
        "/dns4/example.com/tcp/443/wss",
        "/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq",
        "/ip4/192.0.2.1/udp/4001/quic-v1",
    ]
}

extension PublicKey {
    /// A fixed Ed25519 key for seeds.
    static let fuzzSeedKey = try! PrivateKey(ed25519Seed: [UInt8](repeating: 7, count: 32)).publicKey
}
