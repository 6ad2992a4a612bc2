internal import COpenSSL
import LibP2PCore

/// One direction of a Noise session's transport phase: ChaCha20-Poly1305 (IETF) with
/// the key Split() gave it and the Noise nonce counter, through OpenSSL.
///
/// Why not libsodium, as the handshake uses: on bulk data the cipher is nearly all the
/// CPU a transfer costs, and OpenSSL's ChaCha20-Poly1305 (AVX-512/AVX2 code chosen at
/// run time) runs about four times as fast here as libsodium 1.0.18's (measured on this
/// project's machines: ~4.9 vs ~1.3 GB/s on 64 KiB messages). The cipher is the same,
/// so the bytes on the wire are too.
///
/// Small messages (under `bulkThreshold`) go through libsodium instead: OpenSSL's
/// per-message set-up costs more than it saves on a few hundred bytes, and creating
/// the OpenSSL context only when the first large message comes keeps its first use
/// (context, code paths) out of the handshake and the first round trips, which a
/// fresh process measures. Both produce the same bytes for the same key and nonce.
///
/// The key is set up once per direction (one OpenSSL context), each message only sets
/// its nonce. Not thread-safe: a direction is used by one task at a time (the channel
/// checks it out of its slot), which is what makes the unchecked `Sendable` sound.
final class TransportCipher: @unchecked Sendable {
    /// The algorithm, fetched from OpenSSL's default provider once per process, at
    /// the first bulk message: fetching loads OpenSSL's configuration and provider
    /// (about a millisecond of CPU), which a process that never moves bulk data (the
    /// transport test's dialer) should not pay. Nil if this OpenSSL lacks it: bulk
    /// messages then go through libsodium too.
    nonisolated(unsafe) static let algorithm: OpaquePointer? = EVP_CIPHER_fetch(nil, "ChaCha20-Poly1305", nil)

    private enum Direction { case seal, open }

    /// From this many plaintext bytes on, a message goes through OpenSSL.
    static let bulkThreshold = 2048

    private let key: [UInt8]
    /// Made at the first message of `bulkThreshold` bytes or more.
    private var context: OpaquePointer?
    private let direction: Direction
    /// The next message's nonce; `UInt64.max` is reserved by the spec (key spent).
    private(set) var nonce: UInt64

    /// The sending direction of `state` (its key and nonce).
    static func sealing(_ state: CipherState) throws -> TransportCipher {
        try TransportCipher(state, .seal)
    }

    /// The receiving direction of `state`.
    static func opening(_ state: CipherState) throws -> TransportCipher {
        try TransportCipher(state, .open)
    }

    private init(_ state: CipherState, _ direction: Direction) throws {
        guard let key = state.key else { throw NoiseError.outOfTurn("transport phase without a key") }
        self.key = key
        self.direction = direction
        self.nonce = state.nonce
    }

    /// The OpenSSL context for this direction, keyed; made on first use. Nil when
    /// OpenSSL has no ChaCha20-Poly1305 (libsodium then does the bulk too).
    private func bulkContext() throws -> OpaquePointer? {
        if let context { return context }
        guard let algorithm = Self.algorithm else { return nil }
        guard let context = EVP_CIPHER_CTX_new() else {
            throw NoiseError.channelFailed("OpenSSL has no ChaCha20-Poly1305 context: \(OpenSSLErrorQueue.drain())")
        }
        let initialized = key.withUnsafeBufferPointer { key in
            switch direction {
            case .seal: EVP_EncryptInit_ex(context, algorithm, nil, key.baseAddress, nil)
            case .open: EVP_DecryptInit_ex(context, algorithm, nil, key.baseAddress, nil)
            }
        }
        guard initialized == 1 else {
            EVP_CIPHER_CTX_free(context)
            throw NoiseError.channelFailed("OpenSSL refused the transport key: \(OpenSSLErrorQueue.drain())")
        }
        self.context = context
        return context
    }

    deinit {
        if let context { EVP_CIPHER_CTX_free(context) }
    }

    /// Encrypts `plaintext` into `output` (`plaintext.count + 16` bytes: ciphertext,
    /// then tag) with the next nonce. The associated data is empty, as in every
    /// transport message.
    func seal(_ plaintext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws {
        precondition(direction == .seal && output.count >= plaintext.count + NoiseCrypto.tagLength)
        guard nonce != .max else { throw NoiseError.nonceExhausted }
        guard plaintext.count >= Self.bulkThreshold, let context = try bulkContext() else {
            NoiseCrypto.seal(key: key, nonce: nonce, ad: UnsafeRawBufferPointer(start: nil, count: 0), plaintext: plaintext, into: output)
            nonce += 1
            return
        }
        let out = output.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var written: Int32 = 0
        var finalWritten: Int32 = 0
        let sealed = withNonce { iv in
            EVP_EncryptInit_ex(context, nil, nil, nil, iv) == 1
                && (plaintext.isEmpty
                    || EVP_EncryptUpdate(
                        context, out, &written, plaintext.baseAddress!.assumingMemoryBound(to: UInt8.self),
                        Int32(plaintext.count)) == 1)
                && EVP_EncryptFinal_ex(context, out + Int(written), &finalWritten) == 1
                && EVP_CIPHER_CTX_ctrl(
                    context, EVP_CTRL_AEAD_GET_TAG, Int32(NoiseCrypto.tagLength), out + plaintext.count) == 1
        }
        guard sealed, Int(written + finalWritten) == plaintext.count else {
            throw NoiseError.channelFailed("encrypting: \(OpenSSLErrorQueue.drain())")
        }
        nonce += 1
    }

    /// Decrypts `ciphertext` (tag included) into `output` (`ciphertext.count - 16`
    /// bytes) with the next nonce. False when the tag does not verify: the nonce then
    /// does not advance, as the spec says, and `output` holds nothing meaningful.
    func open(_ ciphertext: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer) throws -> Bool {
        let length = ciphertext.count - NoiseCrypto.tagLength
        precondition(direction == .open && length >= 0 && output.count >= length)
        guard nonce != .max else { throw NoiseError.nonceExhausted }
        guard length >= Self.bulkThreshold, let context = try bulkContext() else {
            guard NoiseCrypto.open(key: key, nonce: nonce, ad: UnsafeRawBufferPointer(start: nil, count: 0), ciphertext: ciphertext, into: output)
            else { return false }
            nonce += 1
            return true
        }
        let input = ciphertext.baseAddress!.assumingMemoryBound(to: UInt8.self)
        // OpenSSL wants a valid output address even for an empty plaintext.
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { spare in
            let out = length > 0 ? output.baseAddress!.assumingMemoryBound(to: UInt8.self) : spare.baseAddress!
            var written: Int32 = 0
            var finalWritten: Int32 = 0
            let opened = withNonce { iv in
                EVP_DecryptInit_ex(context, nil, nil, nil, iv) == 1
                    && (length == 0 || EVP_DecryptUpdate(context, out, &written, input, Int32(length)) == 1)
                    && EVP_CIPHER_CTX_ctrl(
                        context, EVP_CTRL_AEAD_SET_TAG, Int32(NoiseCrypto.tagLength),
                        UnsafeMutableRawPointer(mutating: input + length)) == 1
                    && EVP_DecryptFinal_ex(context, out + Int(written), &finalWritten) == 1
            }
            // A failed check leaves errors on OpenSSL's queue; they say nothing more.
            guard opened else {
                ERR_clear_error()
                return false
            }
            nonce += 1
            return true
        }
    }

    /// The 96-bit nonce: 4 zero bytes, then the counter little-endian (the Noise
    /// spec's ChaChaPoly nonce).
    private func withNonce<T>(_ body: (UnsafePointer<UInt8>) -> T) -> T {
        withUnsafeTemporaryAllocation(byteCount: 12, alignment: 8) { raw in
            raw.storeBytes(of: 0, toByteOffset: 0, as: UInt32.self)
            raw.storeBytes(of: nonce.littleEndian, toByteOffset: 4, as: UInt64.self)
            return body(UnsafePointer(raw.baseAddress!.assumingMemoryBound(to: UInt8.self)))
        }
    }
}
