import LibP2PCore
import NIOConcurrencyHelpers

/// The certificate of the most recent host identity, reused for its connections.
/// Making one costs a couple of milliseconds in OpenSSL 3.0 (its key encoder is slow),
/// which would land on every handshake; the spec allows reuse, and go reuses its
/// certificate for the life of the host. One entry: a host has one identity.
public final class CertificateCache: Sendable {
    private let latest = NIOLockedValueBox<(owner: PublicKey, certificate: LibP2PCertificate)?>(nil)

    public init() {}

    public func certificate(for identity: PrivateKey) throws -> LibP2PCertificate {
        let owner = identity.publicKey
        if let cached = latest.withLockedValue({ $0?.owner == owner ? $0?.certificate : nil }) { return cached }
        // Two connections racing on a cold cache each make one; the last one stays.
        let made = try LibP2PCertificate.make(identity: identity)
        latest.withLockedValue { $0 = (owner, made) }
        return made
    }
}
