/// Unsigned LEB128 varints as multiformats uses them (minimal encoding, at most 9 bytes).
public enum UVarint {
    public enum DecodeResult: Equatable {
        case value(UInt64, length: Int)
        case needMoreBytes
        case invalid(String)
    }

    public static func encode(_ value: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var v = value
        while v >= 0x80 {
            out.append(UInt8(v & 0x7F) | 0x80)
            v >>= 7
        }
        out.append(UInt8(v))
        return out
    }

    public static func encode(_ value: Int) -> [UInt8] { encode(UInt64(value)) }

    /// Decodes from the start of `bytes`.
    public static func decode<C: Collection>(_ bytes: C, maxBytes: Int = 9) -> DecodeResult where C.Element == UInt8 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        var count = 0
        for byte in bytes {
            count += 1
            if count > maxBytes { return .invalid("varint longer than \(maxBytes) bytes") }
            if shift == 63 && byte > 1 { return .invalid("varint overflows 64 bits") }
            value |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                if byte == 0 && count > 1 { return .invalid("varint is not minimally encoded") }
                return .value(value, length: count)
            }
            shift += 7
        }
        return count >= maxBytes ? .invalid("varint longer than \(maxBytes) bytes") : .needMoreBytes
    }
}

public enum VarintError: Error, Equatable, CustomStringConvertible {
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let reason): return "invalid varint: \(reason)"
        }
    }
}
