import LibP2PCore
import LibP2PRegistry
import LibP2PTCP
import NIOCore

@testable import LibP2PNoise

/// The attacker's side: raw TCP connections to the listener, and the project's own
/// multistream and Noise code where an attack needs to get past them honestly.
enum Attacker {
    static let yamuxID = "/yamux/1.0.0"
    static let mplexID = "/mplex/6.7.0"

    static func connect(_ listener: AttackedListener) async throws -> any RawConnection {
        try await TCPTransport().dial(try listener.tcpAddress)
    }

    /// Reads until the listener ends the stream (or it breaks): how every
    /// connection-level cut-off looks from here.
    static func untilClosed(_ stream: any ByteStream) async -> CutOff {
        while true {
            do {
                guard try await stream.read() != nil else { return .connectionClosed }
            } catch {
                return .connectionClosed
            }
        }
    }

    /// Multistream to `/noise`, then a real Noise handshake offering `muxers` early.
    static func noise(
        _ listener: AttackedListener, muxers: [String]
    ) async throws -> (raw: any RawConnection, channel: any SecureChannel) {
        let raw = try await connect(listener)
        let (_, stream) = try await Multistream.selectOutbound(raw, protocols: [NoiseSecurity().protocolID])
        let channel = try await NoiseSecurity().secureOutbound(
            stream, identity: .generateEd25519(), expecting: listener.peerID, muxers: muxers)
        return (raw, channel)
    }

    /// A secured channel on which `muxer` was agreed (early, or by multistream).
    static func muxed(_ listener: AttackedListener, muxer: String) async throws -> any ByteStream {
        let (_, channel) = try await noise(listener, muxers: [muxer])
        if channel.earlyMuxer == muxer { return channel }
        let (_, stream) = try await Multistream.selectOutbound(channel, protocols: [muxer])
        return stream
    }

    static func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

    /// A multistream message: uvarint length, text, newline.
    static func multistream(_ text: String) -> [UInt8] {
        Array(Multistream.encode(text).readableBytesView)
    }

    static func uvarint(_ value: UInt64) -> [UInt8] {
        var value = value
        var out: [UInt8] = []
        while value >= 0x80 {
            out.append(UInt8(value & 0x7f) | 0x80)
            value >>= 7
        }
        out.append(UInt8(value))
        return out
    }
}

/// Hand-made yamux frames and a reader that watches for the listener's reaction.
enum YamuxWire {
    static let data: UInt8 = 0, windowUpdate: UInt8 = 1, ping: UInt8 = 2, goAway: UInt8 = 3
    static let syn: UInt16 = 1, ack: UInt16 = 2, fin: UInt16 = 4, rst: UInt16 = 8

    static func frame(
        version: UInt8 = 0, type: UInt8, flags: UInt16 = 0, stream: UInt32, length: UInt32? = nil, payload: [UInt8] = []
    ) -> [UInt8] {
        var out: [UInt8] = [version, type, UInt8(flags >> 8), UInt8(flags & 0xff)]
        out += withUnsafeBytes(of: stream.bigEndian, Array.init)
        out += withUnsafeBytes(of: (length ?? UInt32(payload.count)).bigEndian, Array.init)
        return out + payload
    }

    /// Reads the listener's frames until it resets `stream`, goes away, or ends
    /// the connection.
    static func untilCutOff(_ channel: any ByteStream, stream target: UInt32) async -> CutOff {
        var reader = ByteStreamReader(channel)
        do {
            while true {
                var header = try await reader.readExactly(12, what: "yamux header")
                let bytes = header.readBytes(length: 12)!
                let type = bytes[1]
                let flags = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
                let id = bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                let length = bytes[8..<12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
                if type == goAway { return .connectionClosed }
                if flags & rst != 0 && id == target { return .streamReset(UInt64(id)) }
                if type == data && length > 0 { _ = try await reader.readExactly(Int(length), what: "yamux data") }
            }
        } catch {
            return .connectionClosed
        }
    }
}

/// Hand-made mplex frames and a reader that watches for the listener's reaction.
enum MplexWire {
    static let newStream: UInt64 = 0, messageReceiver: UInt64 = 1, messageInitiator: UInt64 = 2
    static let closeInitiator: UInt64 = 4, resetReceiver: UInt64 = 5, resetInitiator: UInt64 = 6

    static func frame(stream: UInt64, flag: UInt64, payload: [UInt8] = [], length: UInt64? = nil) -> [UInt8] {
        Attacker.uvarint(stream << 3 | flag) + Attacker.uvarint(length ?? UInt64(payload.count)) + payload
    }

    /// Reads the listener's frames until it resets `stream` or ends the connection.
    static func untilCutOff(_ channel: any ByteStream, stream target: UInt64) async -> CutOff {
        var reader = ByteStreamReader(channel)
        do {
            while true {
                let header = try await reader.readUVarint(what: "mplex header")
                let length = try await reader.readUVarint(what: "mplex length")
                if length > 0 { _ = try await reader.readExactly(Int(length), what: "mplex payload") }
                let (id, flag) = (header >> 3, header & 7)
                // The listener's reset of the stream we opened says "receiver" (5).
                if id == target && (flag == resetReceiver || flag == resetInitiator) { return .streamReset(id) }
            }
        } catch {
            return .connectionClosed
        }
    }
}
