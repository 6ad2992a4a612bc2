@testable import LibP2PCore
import LibP2PConformance
import Testing

/// Bad key bytes are refused with an error that says what is wrong, and never verify.
@Suite struct MalformedKeyTests {
    struct BadKey: Sendable, CustomTestStringConvertible {
        let name: String
        let type: KeyType
        let data: [UInt8]
        /// Words the error's description must contain.
        let reason: String
        var testDescription: String { name }
    }

    static let p256 = try! OpenSSLTestKey.ec("prime256v1", as: .ecdsa).subjectPublicKeyInfo
    static let secp256k1 = try! OpenSSLTestKey.ec("secp256k1", as: .secp256k1)
        .publicKeyForms

    static let badKeys: [BadKey] = [
        BadKey(name: "secp256k1: 32 bytes", type: .secp256k1, data: Array(repeating: 2, count: 32), reason: "got 32 bytes"),
        BadKey(name: "secp256k1: 34 bytes", type: .secp256k1, data: Array(repeating: 2, count: 34), reason: "got 34 bytes"),
        BadKey(name: "secp256k1: uncompressed 65 bytes", type: .secp256k1,
               data: [0x04] + Array(repeating: 1, count: 64), reason: "33-byte compressed"),
        BadKey(name: "secp256k1: bad prefix byte", type: .secp256k1,
               data: [0x04] + Array(secp256k1.compressed.dropFirst()), reason: "0x02 or 0x03"),
        // x = 5: 5³ + 7 is not a square modulo p, so no point has this x.
        BadKey(name: "secp256k1: x not on the curve", type: .secp256k1,
               data: [0x02] + Array(repeating: 0, count: 31) + [5], reason: "not a point on the curve"),
        BadKey(name: "secp256k1: x beyond the field", type: .secp256k1,
               data: [0x03] + Array(repeating: 0xFF, count: 32), reason: "not a point on the curve"),
        BadKey(name: "ECDSA: empty", type: .ecdsa, data: [], reason: "empty"),
        BadKey(name: "ECDSA: garbage", type: .ecdsa, data: Array("not DER at all".utf8), reason: "not a DER SubjectPublicKeyInfo"),
        BadKey(name: "ECDSA: truncated", type: .ecdsa, data: Array(p256.dropLast(10)), reason: "not a DER SubjectPublicKeyInfo"),
        BadKey(name: "ECDSA: trailing bytes", type: .ecdsa, data: p256 + [0, 0], reason: "2 bytes after"),
        BadKey(name: "ECDSA: point moved off the curve", type: .ecdsa,
               data: Array(p256.dropLast()) + [p256.last! ^ 0x01], reason: "ECDSA"),
        BadKey(name: "ECDSA: secp256k1 curve", type: .ecdsa, data: secp256k1.subjectPublicKeyInfo, reason: "unsupported curve secp256k1"),
        BadKey(name: "RSA: garbage", type: .rsa, data: [0x30, 0x03, 0x02, 0x01, 0x00], reason: "not a DER SubjectPublicKeyInfo"),
        BadKey(name: "RSA: an EC key", type: .rsa, data: p256, reason: "not an RSA key"),
    ]

    @Test("refused with a clear error", arguments: badKeys)
    func refused(bad: BadKey) throws {
        let error = #expect(throws: KeyError.self) { try PublicKey(type: bad.type, data: bad.data) }
        let description = error.map { "\($0)" } ?? ""
        #expect(description.contains(bad.reason), "\(description)")
        #expect(description.contains("\(bad.type)"), "\(description)")
    }

    @Test("never verifies a signature", arguments: badKeys)
    func neverVerifies(bad: BadKey) {
        let message = Array("message".utf8)
        let signature = (try? OpenSSLTestKey.ec("secp256k1", as: .secp256k1).sign(message)) ?? []
        let protobuf: [UInt8] = [0x08, UInt8(bad.type.rawValue), 0x12] + UVarint.encode(bad.data.count) + bad.data
        #expect((try? PublicKey(protobuf: protobuf)) == nil)
        #expect(!Self.verifyUnchecked(type: bad.type, key: bad.data, signature: signature, message: message))
    }

    @Test("RSA 1024 is refused, RSA 2048 accepted")
    func rsaSize() throws {
        let small = try OpenSSLTestKey.rsa(bits: 1024)
        let error = #expect(throws: KeyError.self) { try small.publicKey() }
        #expect(error.map { "\($0)" }?.contains("1024-bit") == true)
        #expect(throws: Never.self) { try OpenSSLTestKey.rsa(bits: 2048).publicKey() }
    }

    @Test("a signature for a refused RSA 1024 key does not verify")
    func rsaSmallNeverVerifies() throws {
        let small = try OpenSSLTestKey.rsa(bits: 1024)
        let message = Array("message".utf8)
        #expect(!Self.verifyUnchecked(type: .rsa, key: small.subjectPublicKeyInfo, signature: try small.sign(message), message: message))
    }

    /// Verification straight on bytes that never went through `PublicKey(type:data:)`.
    static func verifyUnchecked(type: KeyType, key: [UInt8], signature: [UInt8], message: [UInt8]) -> Bool {
        KeyVerification.verify(type: type, key: key, signature: signature, message: message)
    }
}
