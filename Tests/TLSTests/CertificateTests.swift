import COpenSSL
import Foundation
import LibP2PConformance
import LibP2PCore
import LibP2PRegistry
import TLSTestKit
@testable import LibP2PTLS
@testable import LibP2PTLSCertificate
import Testing

/// The libp2p certificate on its own: what we make, the spec's vectors, and every
/// way a peer's certificate must be refused.
@Suite struct CertificateTests {
    // libp2p/specs tls/tls.md, "Test vectors".
    static let specEd25519 = [UInt8](hex: "308201ae30820156a0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea37c307a3078060a2b0601040183a25a0101046a3068042408011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b90440d90d2769db992d5e6195dbb08e706b6651e024fda6cfb8846694a435519941cac215a8207792e42849cccc6cd8136c6e4bde92a58c5e08cfd4206eb5fe0bf909300a06082a8648ce3d0403020346003043021f50f6b6c52711a881778718238f650c9fb48943ae6ee6d28427dc6071ae55e702203625f116a7a454db9c56986c82a25682f7248ea1cb764d322ea983ed36a31b77")
    static let specECDSA = [UInt8](hex: "308201f63082019da0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081aa045f0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30511f909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e794b512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f2044730450220064ea8124774caf8f50e57f436aa62350ce652418c019df5d98a3ac666c9386a022100aa59d704a931b5f72fb9222cb6cc51f954d04a4e2e5450f8805fe8918f71eaae300a06082a8648ce3d04030203470030440220799395b0b6c1e940a7e4484705f610ab51ed376f19ff9d7c16757cfbf61b8d4302206205c03fbb0f95205c779be86581d3e31c01871ad5d1f3435bcf375cb0e5088a")
    static let specSecp256k1 = [UInt8](hex: "308201ba3082015fa0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea38184308181307f060a2b0601040183a25a01010471306f0425080212210206dc6968726765b820f050263ececf7f71e4955892776c0970542efd689d2382044630440220145e15a991961f0d08cd15425bb95ec93f6ffa03c5a385eedc34ecf464c7a8ab022026b3109b8a3f40ef833169777eb2aa337cfb6282f188de0666d1bcec2a4690dd300a06082a8648ce3d0403020349003046022100e1a217eeef9ec9204b3f774a08b70849646b6a1e6b8b27f93dc00ed58545d9fe022100b00dafa549d0f03547878338c7b15e7502888f6d45db387e5ae6b5d46899cef0")
    static let specInvalid = [UInt8](hex: "308201f73082019da0030201020204499602d2300a06082a8648ce3d040302302031123010060355040a13096c69627032702e696f310a300806035504051301313020170d3735303130313133303030305a180f34303936303130313133303030305a302031123010060355040a13096c69627032702e696f310a300806035504051301313059301306072a8648ce3d020106082a8648ce3d030107034200040c901d423c831ca85e27c73c263ba132721bb9d7a84c4f0380b2a6756fd601331c8870234dec878504c174144fa4b14b66a651691606d8173e55bd37e381569ea381c23081bf3081bc060a2b0601040183a25a01010481ad3081aa045f0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004bf30511f909414ebdd3242178fd290f093a551cf75c973155de0bb5a96fedf6cb5d52da7563e794b512f66e60c7f55ba8a3acf3dd72a801980d205e8a1ad29f204473045022100bb6e03577b7cc7a3cd1558df0da2b117dfdcc0399bc2504ebe7de6f65cade72802206de96e2a5be9b6202adba24ee0362e490641ac45c240db71fe955f2c5cf8df6e300a06082a8648ce3d0403020348003045022100e847f267f43717358f850355bdcabbefb2cfbf8a3c043b203a14788a092fe8db022027c1d04a2d41fd6b57a7e8b3989e470325de4406e52e084e34a3fd56eef0d0df")

    @Test("tls.md vectors: valid certificates authenticate the spec's peer IDs", arguments: [
        (specEd25519, "12D3KooWM6CgA9iBFZmcYAHA6A2qvbAxqfkmrYiRQuz3XEsk4Ksv"),
        (specECDSA, "QmfXbAwNjJLXfesgztEHe8HwgVDCMMpZ9Eax1HYq6hn9uE"),
        (specSecp256k1, "16Uiu2HAkutTMoTzDw1tCvSRtu6YoixJwS46S1ZFxW8hSx9fWHiPs"),
    ])
    func specVectors(certificate: [UInt8], peerID: String) throws {
        let hostKey = try LibP2PCertificate.verify(chain: [certificate])
        #expect(hostKey.peerID.description == peerID)
    }

    @Test("tls.md vector 4: a signature by another key is refused")
    func specInvalidVector() {
        #expect(throws: SecurityError.invalidSignature) { try LibP2PCertificate.verify(chain: [Self.specInvalid]) }
    }

    @Test("SignedKey decodes the spec's extension value and re-encodes it byte for byte")
    func signedKeyCodec() throws {
        // The extension value inside the Ed25519 vector.
        let value = [UInt8](hex: "3068042408011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b90440d90d2769db992d5e6195dbb08e706b6651e024fda6cfb8846694a435519941cac215a8207792e42849cccc6cd8136c6e4bde92a58c5e08cfd4206eb5fe0bf909")
        let signedKey = try SignedKey(der: value)
        #expect(signedKey.publicKey == [UInt8](hex: "08011220a77f1d92fedb59dddaea5a1c4abd1ac2fbde7d7b879ed364501809923d7c11b9"))
        #expect(signedKey.signature.count == 64)
        #expect(try signedKey.derEncoded() == value)
        // The test kit's own encoder (it plays peers without the plugin's code) agrees.
        #expect(TestCertificate.signedKeyDER(publicKey: signedKey.publicKey, signature: signedKey.signature) == value)
    }

    @Test("the test kit's SignedKey encoder agrees with the plugin's for an RSA-sized key (long DER lengths)")
    func testKitEncoderLongForm() throws {
        let publicKey = (0..<300).map { UInt8(truncatingIfNeeded: $0) }
        let signature = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        #expect(TestCertificate.signedKeyDER(publicKey: publicKey, signature: signature)
            == (try SignedKey(publicKey: publicKey, signature: signature).derEncoded()))
    }

    @Test("SignedKey refuses anything but two OCTET STRINGs", arguments: [
        [UInt8](hex: "3003040100"),  // one field
        [UInt8](hex: "3009040100040100040100"),  // three fields
        [UInt8](hex: "3006020101040100"),  // an INTEGER first
        [UInt8](hex: "04020000"),  // not a SEQUENCE
        [UInt8](hex: "300604010004010000"),  // a byte after the SEQUENCE
        [UInt8](hex: "30"),  // truncated
    ])
    func signedKeyRefused(der: [UInt8]) {
        #expect(throws: TLSCertificateError.self) { try SignedKey(der: der) }
    }

    @Test("a certificate we make verifies and authenticates our host key")
    func ourCertificate() throws {
        let identity = PrivateKey.generateEd25519()
        let certificate = try LibP2PCertificate.make(identity: identity)
        let der = certificate.der
        #expect(try LibP2PCertificate.verify(chain: [der]) == identity.publicKey)

        // Valid from an hour ago for a hundred years: check just inside and outside.
        let now = Int(Date.now.timeIntervalSince1970)
        #expect(throws: Never.self) { try LibP2PCertificate.verify(chain: [der], at: now - 3500) }
        #expect(throws: TLSCertificateError.notYetValid) { try LibP2PCertificate.verify(chain: [der], at: now - 3700) }
        #expect(throws: Never.self) { try LibP2PCertificate.verify(chain: [der], at: now + 99 * 365 * 86400) }
        #expect(throws: TLSCertificateError.expired) {
            try LibP2PCertificate.verify(chain: [der], at: now + 101 * 365 * 86400)
        }
        // The extension is there and not critical; nothing else is critical.
        let x509 = try parse(der)
        defer { X509_free(x509) }
        #expect(X509_get_ext_count(x509) == 1)
        #expect(X509_EXTENSION_get_critical(X509_get_ext(x509, 0)) == 0)
        #expect(X509_get_version(x509) == 2)
        // Each certificate has its own key.
        let other = try LibP2PCertificate.make(identity: identity).der
        #expect(LibP2PCertificate.subjectPublicKeyInfo(of: x509) != subjectPublicKeyInfo(other))
    }

    @Test("the PKCS#8 DER of the certificate key is the key in the certificate (what GnuTLS gets for quic-v1)")
    func privateKeyDER() throws {
        let certificate = try LibP2PCertificate.make(identity: PrivateKey.generateEd25519())
        let der = try certificate.privateKeyDER()
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            return d2i_AutoPrivateKey(nil, &cursor, buffer.count)
        }
        let parsed = try #require(key)
        defer { EVP_PKEY_free(parsed) }
        #expect(EVP_PKEY_eq(parsed, X509_get0_pubkey(certificate.certificate)) == 1)
        // PKCS#8: a SEQUENCE whose first element is version 0.
        #expect(Array(der.prefix(1)) == [0x30] && der.count > 100)
    }

    // MARK: Refusals

    struct Refusal: Sendable, CustomTestStringConvertible {
        let name: String
        let make: @Sendable (PrivateKey) throws -> [[UInt8]]
        let check: @Sendable (any Error) -> Bool
        var testDescription: String { name }
    }

    static let refusals: [Refusal] = [
        Refusal(name: "no certificate", make: { _ in [] }, check: { $0 as? TLSCertificateError == .chainLength(0) }),
        Refusal(name: "two certificates", make: { key in
            [try TestCertificate(hostKey: key).make().certificate, try TestCertificate(hostKey: key).make().certificate]
        }, check: { $0 as? TLSCertificateError == .chainLength(2) }),
        Refusal(name: "garbage", make: { _ in [Array("certificate".utf8)] }, check: isMalformed),
        Refusal(name: "bytes after the certificate", make: { key in
            [try TestCertificate(hostKey: key).make().certificate + [0]]
        }, check: isMalformed),
        Refusal(name: "missing extension", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.includesExtension = false
            return [try certificate.make().certificate]
        }, check: { $0 as? TLSCertificateError == .missingExtension }),
        Refusal(name: "extension signed by another key", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.extensionSigner = .generateEd25519()
            return [try certificate.make().certificate]
        }, check: { $0 as? SecurityError == .invalidSignature }),
        Refusal(name: "expired", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.notBefore = -7200
            certificate.notAfter = -60
            return [try certificate.make().certificate]
        }, check: { $0 as? TLSCertificateError == .expired }),
        Refusal(name: "not yet valid", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.notBefore = 3600
            return [try certificate.make().certificate]
        }, check: { $0 as? TLSCertificateError == .notYetValid }),
        Refusal(name: "an unknown critical extension", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.unknownCriticalExtension = true
            return [try certificate.make().certificate]
        }, check: { $0 as? TLSCertificateError == .unknownCriticalExtension(TestCertificate.unknownOID) }),
        Refusal(name: "extension value not a SignedKey", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.extensionValue = [0x05, 0x00]
            return [try certificate.make().certificate]
        }, check: { if case .malformedSignedKey = $0 as? TLSCertificateError { true } else { false } }),
        Refusal(name: "SignedKey with a garbage host key", make: { key in
            var certificate = TestCertificate(hostKey: key)
            certificate.extensionValue = try SignedKey(publicKey: [0x08, 0x01, 0x12, 0x01, 0x00], signature: [1]).derEncoded()
            return [try certificate.make().certificate]
        }, check: { if case .invalidHostKey = $0 as? TLSCertificateError { true } else { false } }),
        Refusal(name: "self-signature broken", make: { key in
            var der = try TestCertificate(hostKey: key).make().certificate
            der[der.count - 3] ^= 0x01  // inside the signature's last INTEGER
            return [der]
        }, check: { $0 as? TLSCertificateError == .invalidSelfSignature }),
    ]

    @Test("refused with a clear error", arguments: refusals)
    func refused(refusal: Refusal) throws {
        let chain = try refusal.make(.generateEd25519())
        do {
            let key = try LibP2PCertificate.verify(chain: chain)
            Issue.record("accepted, authenticating \(key.peerID)")
        } catch {
            #expect(refusal.check(error), "wrong error: \(error)")
            #expect(!"\(error)".isEmpty)
        }
    }

    @Test("the libp2p extension is accepted when critical, as rust-libp2p marks it")
    func criticalExtensionAccepted() throws {
        let key = PrivateKey.generateEd25519()
        var certificate = TestCertificate(hostKey: key)
        certificate.extensionIsCritical = true
        #expect(try LibP2PCertificate.verify(chain: [try certificate.make().certificate]) == key.publicKey)
    }

    @Test("a certificate from the test builder verifies (so the refusals above are meaningful)")
    func testBuilderIsSound() throws {
        let key = PrivateKey.generateEd25519()
        #expect(try LibP2PCertificate.verify(chain: [try TestCertificate(hostKey: key).make().certificate]) == key.publicKey)
    }
}

func isMalformed(_ error: any Error) -> Bool {
    if case .malformed = error as? TLSCertificateError { return true }
    return false
}

func parse(_ der: [UInt8]) throws -> OpaquePointer {
    let x509: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
        var cursor = buffer.baseAddress
        return d2i_X509(nil, &cursor, buffer.count)
    }
    guard let x509 else { throw TestError("not a certificate") }
    return x509
}

func subjectPublicKeyInfo(_ der: [UInt8]) -> [UInt8]? {
    guard let x509 = try? parse(der) else { return nil }
    defer { X509_free(x509) }
    return LibP2PCertificate.subjectPublicKeyInfo(of: x509)
}
