import Testing

@testable import LibP2PNoise

/// The transport phase runs on OpenSSL, the handshake (and the test vectors) on
/// libsodium: the two must agree byte for byte, or no peer could read us.
@Suite("Noise transport cipher (OpenSSL)")
struct TransportCipherTests {
    let key = (0..<32).map { UInt8($0 &* 7 & 0xFF) }

    @Test("seals exactly as libsodium's CipherState does, and opens what it sealed",
          arguments: [0, 1, 15, 16, 17, 1000, TransportCipher.bulkThreshold - 1, TransportCipher.bulkThreshold, 65519])
    func matchesLibsodium(length: Int) throws {
        var reference = CipherState(key: key, nonce: 5)
        let sealer = try TransportCipher.sealing(CipherState(key: key, nonce: 5))
        let opener = try TransportCipher.opening(CipherState(key: key, nonce: 5))
        for round in 0..<3 {
            let plaintext = (0..<length).map { UInt8(($0 + round) & 0xFF) }
            let expected = try reference.encrypt(ad: [], plaintext: plaintext)
            let sealed = try seal(plaintext, with: sealer)
            #expect(sealed == expected)
            #expect(try open(sealed, with: opener) == plaintext)
        }
        #expect(sealer.nonce == 8 && opener.nonce == 8)
    }

    @Test("small messages (libsodium) and bulk ones (OpenSSL) share one nonce sequence, in any order")
    func smallAndBulkInterleave() throws {
        var reference = CipherState(key: key)
        let sealer = try TransportCipher.sealing(CipherState(key: key))
        let opener = try TransportCipher.opening(CipherState(key: key))
        for (round, length) in [12, 70_000 % 65519, 30, TransportCipher.bulkThreshold, 0, 9000, 5].enumerated() {
            let plaintext = (0..<length).map { UInt8(($0 * 3 + round) & 0xFF) }
            let sealed = try seal(plaintext, with: sealer)
            #expect(sealed == (try reference.encrypt(ad: [], plaintext: plaintext)), "message \(round), \(length) bytes")
            #expect(try open(sealed, with: opener) == plaintext)
        }
        #expect(sealer.nonce == 7 && opener.nonce == 7)
    }

    @Test("a tampered bulk frame does not open and does not spend the nonce")
    func tamperedBulk() throws {
        let sealer = try TransportCipher.sealing(CipherState(key: key))
        let opener = try TransportCipher.opening(CipherState(key: key))
        let plaintext = [UInt8](repeating: 0x5A, count: 3 * TransportCipher.bulkThreshold)
        var sealed = try seal(plaintext, with: sealer)
        sealed[sealed.count / 2] ^= 1
        #expect(try open(sealed, with: opener) == nil)
        #expect(opener.nonce == 0)
    }

    @Test("a tampered frame does not open and does not spend the nonce")
    func tampered() throws {
        let sealer = try TransportCipher.sealing(CipherState(key: key))
        let opener = try TransportCipher.opening(CipherState(key: key))
        let sealed = try seal([1, 2, 3, 4], with: sealer)
        for index in [0, sealed.count - 1] {
            var tampered = sealed
            tampered[index] ^= 1
            #expect(try open(tampered, with: opener) == nil)
            #expect(opener.nonce == 0)
        }
        #expect(try open(sealed, with: opener) == [1, 2, 3, 4])
        #expect(opener.nonce == 1)
    }

    @Test("the reserved last nonce is refused in both directions")
    func exhausted() throws {
        let sealer = try TransportCipher.sealing(CipherState(key: key, nonce: .max))
        let opener = try TransportCipher.opening(CipherState(key: key, nonce: .max))
        #expect(throws: NoiseError.nonceExhausted) { try seal([1], with: sealer) }
        #expect(throws: NoiseError.nonceExhausted) { try open([UInt8](repeating: 0, count: 17), with: opener) }
    }

    @Test("a direction without a key is refused")
    func noKey() {
        #expect(throws: NoiseError.self) { try TransportCipher.sealing(CipherState()) }
    }

    private func seal(_ plaintext: [UInt8], with cipher: TransportCipher) throws -> [UInt8] {
        var sealed = [UInt8](repeating: 0, count: plaintext.count + 16)
        try plaintext.withUnsafeBytes { input in
            try sealed.withUnsafeMutableBytes { output in try cipher.seal(input, into: output) }
        }
        return sealed
    }

    /// The plaintext, or nil when the tag does not verify.
    private func open(_ sealed: [UInt8], with cipher: TransportCipher) throws -> [UInt8]? {
        var plaintext = [UInt8](repeating: 0, count: sealed.count - 16)
        let opened = try sealed.withUnsafeBytes { input in
            try plaintext.withUnsafeMutableBytes { output in try cipher.open(input, into: output) }
        }
        return opened ? plaintext : nil
    }
}
