import LibP2PCore
import NIOCore

/// libp2p's framing of Noise messages: every handshake and transport message is
/// preceded by its length as a 2-byte big-endian integer.
enum NoiseFraming {
    /// The largest message a 2-byte length allows (ciphertext, tag included).
    static let maxMessageLength = Int(UInt16.max)
    /// The most plaintext one transport frame carries: 65535 minus the 16-byte tag.
    static let maxPlaintextPerFrame = maxMessageLength - NoiseCrypto.tagLength
    static let lengthPrefixSize = 2
}

extension ByteStreamReader {
    /// The next length-prefixed Noise message, or `nil` when the stream ends cleanly
    /// at a message boundary. Bytes are consumed only once the whole message is
    /// buffered, so a read cancelled halfway loses nothing. At most one message (64 KiB)
    /// plus one chunk of the stream below is ever buffered; a message that spans
    /// chunks is the only thing copied (`readExactly`).
    mutating func readNoiseMessage(what: String) async throws -> ByteBuffer? {
        while buffered.readableBytes < NoiseFraming.lengthPrefixSize {
            guard try await fill() else {
                if buffered.readableBytes == 0 { return nil }
                throw StreamError.unexpectedEOF("length of \(what)")
            }
        }
        let length = Int(buffered.getInteger(at: buffered.readerIndex, as: UInt16.self)!)
        var message = try await readExactly(NoiseFraming.lengthPrefixSize + length, what: what)
        message.moveReaderIndex(forwardBy: NoiseFraming.lengthPrefixSize)
        return message
    }
}
