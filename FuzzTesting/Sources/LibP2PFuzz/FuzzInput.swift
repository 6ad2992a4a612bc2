/// Reads an input as a little script: control bytes first (a mode, chunk sizes),
/// then the bytes for the parser. Past the end every read gives zeros or nothing, so
/// any input is a valid script.
struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isEmpty: Bool { position >= bytes.count }

    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + max(0, count))
        defer { position = end }
        return Array(bytes[position..<end])
    }

    mutating func rest() -> [UInt8] { take(bytes.count - position) }

    /// The rest split into the reads a peer's bytes might arrive in: one control byte
    /// gives the chunk size (0: everything at once), so the fuzzer explores
    /// messages split across reads as well as whole ones.
    mutating func chunks() -> [[UInt8]] {
        let size = Int(byte())
        let data = rest()
        guard size > 0 else { return data.isEmpty ? [] : [data] }
        return stride(from: 0, to: data.count, by: size).map { Array(data[$0..<min(data.count, $0 + size)]) }
    }

    /// A seed for `chunks()`: the bytes arriving in one read.
    static func whole(_ data: [UInt8]) -> [UInt8] { [0] + data }
}
