import LibP2PCore
@testable import LibP2PTLS
@testable import LibP2PTLSCertificate

/// TLS: a peer's certificate as libp2p checks it (DER parse, self-signature,
/// validity, the libp2p extension, the host key's signature), and the extension's
/// `SignedKey` DER alone.
enum TLSTargets {
    static let all = [certificate, signedKey]

    static let certificate = FuzzTarget(
        name: "tls-certificate",
        run: { bytes in _ = try? LibP2PCertificate.verify(chain: [bytes]) },
        seeds: {
            let identity = try! PrivateKey(ed25519Seed: [UInt8](repeating: 6, count: 32))
            return [try! LibP2PCertificate.make(identity: identity).der]
        })

    static let signedKey = FuzzTarget(
        name: "tls-signed-key",
        run: { bytes in
            guard let parsed = try? SignedKey(der: bytes) else { return }
            _ = try? PublicKey(protobuf: parsed.publicKey)
            _ = try? parsed.derEncoded()
        },
        seeds: {
            let identity = try! PrivateKey(ed25519Seed: [UInt8](repeating: 6, count: 32))
            let key = identity.publicKey.protobufEncoded
            return [
                try! SignedKey(publicKey: key, signature: identity.sign(Array("libp2p-tls-handshake:".utf8))).derEncoded(),
                try! SignedKey(publicKey: [], signature: []).derEncoded(),
            ]
        })
}
