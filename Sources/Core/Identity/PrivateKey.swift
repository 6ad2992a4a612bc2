internal import CSodium

/// The host's own identity key. Hosts here always use Ed25519 (what go, rust and py
/// default to); remote peers may use any `KeyType`.
public struct PrivateKey: Sendable {
    /// libsodium's 64-byte secret key (seed ‖ public key).
    private let secret: [UInt8]
    public let publicKey: PublicKey

    /// A fresh random Ed25519 key.
    public static func generateEd25519() -> PrivateKey {
        Sodium.ensureInitialized()
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_keypair(&pk, &sk)
        return PrivateKey(secret: sk, publicKeyBytes: pk)
    }

    /// The Ed25519 key derived from a 32-byte seed (deterministic, for tests and vectors).
    public init(ed25519Seed seed: [UInt8]) throws {
        Sodium.ensureInitialized()
        guard seed.count == Int(crypto_sign_SEEDBYTES) else {
            throw KeyError.invalidKey(.ed25519, "seed must be 32 bytes, got \(seed.count)")
        }
        var pk = [UInt8](repeating: 0, count: Int(crypto_sign_PUBLICKEYBYTES))
        var sk = [UInt8](repeating: 0, count: Int(crypto_sign_SECRETKEYBYTES))
        crypto_sign_seed_keypair(&pk, &sk, seed)
        self.init(secret: sk, publicKeyBytes: pk)
    }

    private init(secret: [UInt8], publicKeyBytes: [UInt8]) {
        self.secret = secret
        // 32 bytes from libsodium is always a valid Ed25519 key.
        self.publicKey = try! PublicKey(type: .ed25519, data: publicKeyBytes)
    }

    public var peerID: PeerID { publicKey.peerID }

    /// An Ed25519 signature (64 bytes) over `message`.
    public func sign(_ message: [UInt8]) -> [UInt8] {
        var signature = [UInt8](repeating: 0, count: Int(crypto_sign_BYTES))
        crypto_sign_detached(&signature, nil, message, UInt64(message.count), secret)
        return signature
    }
}

/// libsodium must be initialised once before use; `sodium_init` is idempotent and
/// thread-safe.
public enum Sodium {
    public static func ensureInitialized() {
        _ = initialized
    }

    private static let initialized: Bool = {
        sodium_init() >= 0
    }()
}
