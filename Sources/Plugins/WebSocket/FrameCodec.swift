import NIOCore

/// RFC 6455 §5.2 frames, header by header. The payload is not collected: the
/// handler passes it on as it arrives, so no frame is ever held whole in memory and
/// a message costs no copy on the way in.
struct FrameHeader: Equatable {
    static let continuation: UInt8 = 0x0
    static let text: UInt8 = 0x1
    static let binary: UInt8 = 0x2
    static let close: UInt8 = 0x8
    static let ping: UInt8 = 0x9
    static let pong: UInt8 = 0xA

    var fin: Bool
    /// The three reserved bits (no extension is negotiated, so they must be zero).
    var reserved: UInt8
    var opcode: UInt8
    var mask: UInt32?
    var length: Int

    var isControl: Bool { opcode & 0x8 != 0 }

    enum Parsed: Equatable {
        case incomplete
        case header(FrameHeader)
        /// A length no implementation may send (the 64-bit form with its top bit set).
        case invalid
    }

    /// Reads one header from the front of `buffer`, consuming it; leaves the buffer
    /// untouched when it does not hold a whole header yet.
    static func parse(_ buffer: inout ByteBuffer) -> Parsed {
        let start = buffer.readerIndex
        guard let b0 = buffer.getInteger(at: start, as: UInt8.self), let b1 = buffer.getInteger(at: start + 1, as: UInt8.self) else {
            return .incomplete
        }
        var at = start + 2
        var length = Int(b1 & 0x7F)
        if length == 126 {
            guard let extended = buffer.getInteger(at: at, as: UInt16.self) else { return .incomplete }
            length = Int(extended)
            at += 2
        } else if length == 127 {
            guard let extended = buffer.getInteger(at: at, as: UInt64.self) else { return .incomplete }
            guard extended >> 63 == 0 else { return .invalid }
            length = Int(extended)
            at += 8
        }
        var mask: UInt32?
        if b1 & 0x80 != 0 {
            guard let key = buffer.getInteger(at: at, as: UInt32.self) else { return .incomplete }
            mask = key
            at += 4
        }
        buffer.moveReaderIndex(to: at)
        return .header(FrameHeader(fin: b0 & 0x80 != 0, reserved: (b0 >> 4) & 0x7, opcode: b0 & 0xF, mask: mask, length: length))
    }

    /// The header's bytes, for a frame of `length` bytes.
    func write(to buffer: inout ByteBuffer) {
        buffer.writeInteger((fin ? 0x80 : 0) | (reserved << 4) | opcode)
        let maskBit: UInt8 = mask == nil ? 0 : 0x80
        if length < 126 {
            buffer.writeInteger(maskBit | UInt8(length))
        } else if length <= Int(UInt16.max) {
            buffer.writeInteger(maskBit | 126)
            buffer.writeInteger(UInt16(length))
        } else {
            buffer.writeInteger(maskBit | 127)
            buffer.writeInteger(UInt64(length))
        }
        if let mask { buffer.writeInteger(mask) }
    }

    /// XORs `bytes` with `key` (big-endian, as on the wire), starting `offset` bytes
    /// into the frame's payload. Masking and unmasking are the same operation; eight
    /// bytes at a time, since a client masks every byte it sends.
    static func applyMask(_ key: UInt32, offset: Int, to bytes: UnsafeMutableRawBufferPointer) {
        let shift = UInt32((offset % 4) * 8)
        let rotated = shift == 0 ? key : (key << shift) | (key >> (32 - shift))
        let keyBytes = withUnsafeBytes(of: rotated.bigEndian) { Array($0) }
        let word = withUnsafeBytes(of: (rotated.bigEndian, rotated.bigEndian)) { $0.loadUnaligned(as: UInt64.self) }
        var index = 0
        while index + 8 <= bytes.count {
            let value = bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            bytes.storeBytes(of: value ^ word, toByteOffset: index, as: UInt64.self)
            index += 8
        }
        while index < bytes.count {
            bytes[index] ^= keyBytes[index % 4]
            index += 1
        }
    }

    /// A whole frame: header and payload (masked with `mask`, if any) in one buffer.
    static func frame(opcode: UInt8, payload: ByteBuffer, mask: UInt32?, allocator: ByteBufferAllocator) -> ByteBuffer {
        let header = FrameHeader(fin: true, reserved: 0, opcode: opcode, mask: mask, length: payload.readableBytes)
        var buffer = allocator.buffer(capacity: 14 + payload.readableBytes)
        header.write(to: &buffer)
        let payloadStart = buffer.writerIndex
        var payload = payload
        buffer.writeBuffer(&payload)
        if let mask {
            let skip = payloadStart - buffer.readerIndex
            buffer.withUnsafeMutableReadableBytes { bytes in
                applyMask(mask, offset: 0, to: UnsafeMutableRawBufferPointer(rebasing: bytes[skip...]))
            }
        }
        return buffer
    }
}
