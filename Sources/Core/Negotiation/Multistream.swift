import NIOCore

/// multistream-select 1.0 (`/multistream/1.0.0`): each message is
/// uvarint(length) + UTF-8 text + `\n`, the length counting the newline.
///
/// Both roles return the negotiated protocol and the stream to continue on, which
/// carries any bytes the peer pipelined behind its last negotiation message.
public enum Multistream {
    public static let protocolID = "/multistream/1.0.0"
    public static let notAvailable = "na"
    /// Longest message accepted, newline included (go and js use 1024 too).
    public static let maxMessageLength = 1024
    /// Proposals the responder answers before giving up on a peer.
    public static let maxProposals = 32

    /// Encodes one message.
    public static func encode(_ text: String) -> ByteBuffer {
        let body = Array(text.utf8) + [0x0A]
        var buffer = ByteBuffer()
        buffer.writeBytes(UVarint.encode(body.count))
        buffer.writeBytes(body)
        return buffer
    }

    /// Reads one message, checking the length cap and the trailing newline.
    public static func readMessage(_ reader: inout ByteStreamReader) async throws -> String {
        // Any varint length is read (at most 9 bytes), so every overlong line is
        // reported as too long, not as a bad varint.
        let length = try await reader.readUVarint(what: "multistream message length")
        guard length <= UInt64(maxMessageLength) else {
            throw MultistreamError.messageTooLong(Int(clamping: length))
        }
        guard length > 0 else { throw MultistreamError.malformed("empty message") }
        var body = try await reader.readExactly(Int(length), what: "multistream message")
        let bytes = body.readBytes(length: body.readableBytes)!
        guard bytes.last == 0x0A else { throw MultistreamError.malformed("message does not end with a newline") }
        guard let text = String(validating: bytes.dropLast(), as: UTF8.self) else {
            throw MultistreamError.malformed("message is not UTF-8")
        }
        return text
    }

    /// Initiator: proposes `protocols` in order until the responder accepts one.
    ///
    /// The header and the first proposal go out in one write, without waiting for
    /// the responder's header (as rust and go do), which saves a round trip.
    /// With a single protocol, `pipelining` bytes (the protocol's first message) go
    /// in that same write too, before the echo ("lazy" negotiation, as rust's
    /// `V1Lazy`): the responder hands them to the protocol once it has echoed it.
    public static func selectOutbound(
        _ stream: any ByteStream, protocols: [String], pipelining: ByteBuffer? = nil
    ) async throws -> (protocol: String, stream: any ByteStream) {
        guard let first = protocols.first else { throw MultistreamError.noProtocols }
        var out = encode(protocolID)
        var proposal = encode(first)
        out.writeBuffer(&proposal)
        if var early = pipelining {
            guard protocols.count == 1 else { throw MultistreamError.malformed("pipelined data needs a single proposal") }
            out.writeBuffer(&early)
        }
        try await stream.write(out)

        var reader = ByteStreamReader(stream)
        let header = try await readMessage(&reader)
        guard header == protocolID else { throw MultistreamError.unsupportedVersion(header) }

        var index = 0
        while true {
            let answer = try await readMessage(&reader)
            if answer == protocols[index] {
                return (protocols[index], reader.remainingStream())
            }
            guard answer == notAvailable else {
                throw MultistreamError.malformed("expected '\(protocols[index])' or 'na', got '\(answer)'")
            }
            index += 1
            guard index < protocols.count else { throw MultistreamError.noCommonProtocol(protocols) }
            try await stream.write(encode(protocols[index]))
        }
    }

    /// Responder: answers the initiator's proposals, echoing the first one in
    /// `supported` and saying `na` to the rest (`ls` is answered `na` too).
    public static func selectInbound(
        _ stream: any ByteStream, supported: [String]
    ) async throws -> (protocol: String, stream: any ByteStream) {
        // Our header goes out at once: the initiator may be waiting for it (py does).
        try await stream.write(encode(protocolID))
        var reader = ByteStreamReader(stream)
        let header = try await readMessage(&reader)
        guard header == protocolID else { throw MultistreamError.unsupportedVersion(header) }

        var refused: [String] = []
        for _ in 0..<maxProposals {
            let proposal = try await readMessage(&reader)
            if supported.contains(proposal) {
                try await stream.write(encode(proposal))
                return (proposal, reader.remainingStream())
            }
            refused.append(proposal)
            try await stream.write(encode(notAvailable))
        }
        throw MultistreamError.tooManyProposals(refused)
    }
}

public enum MultistreamError: Error, Equatable, CustomStringConvertible {
    case noProtocols
    case messageTooLong(Int)
    case malformed(String)
    case unsupportedVersion(String)
    case noCommonProtocol([String])
    case tooManyProposals([String])

    public var description: String {
        switch self {
        case .noProtocols: return "multistream: nothing to propose"
        case .messageTooLong(let n):
            return "multistream: message of \(n) bytes exceeds the \(Multistream.maxMessageLength)-byte cap"
        case .malformed(let why): return "multistream: \(why)"
        case .unsupportedVersion(let header): return "multistream: peer speaks '\(header)', not \(Multistream.protocolID)"
        case .noCommonProtocol(let ours): return "multistream: the peer refused every protocol we proposed: \(ours)"
        case .tooManyProposals(let theirs): return "multistream: the peer proposed only unsupported protocols: \(theirs.prefix(5))"
        }
    }
}
