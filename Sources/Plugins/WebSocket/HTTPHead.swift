import NIOCore

/// An HTTP/1.1 request or response head, as much of HTTP as the WebSocket opening
/// handshake needs: the start line and the header fields (names lowercased).
struct HTTPHead: Sendable {
    /// Request: method, target, version. Response: version, status, reason.
    var startLine: [String]
    var fields: [(name: String, value: String)]

    /// Every value of the field `name` (lowercase), in order.
    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    /// True when a comma-separated field `name` lists `token` (case-insensitive),
    /// as in `Connection: keep-alive, Upgrade`.
    func hasToken(_ name: String, _ token: String) -> Bool {
        // Bytes, not Characters: ASCII rules, and no Unicode tables on the dial path.
        values(name).contains { value in
            value.utf8.split(separator: UInt8(ascii: ",")).contains { HTTPHeadReader.lowercasedTrimmed($0) == token }
        }
    }
}

/// Collects a head from bytes as they arrive, within `maxBytes` and `maxFields`.
/// Refuses what cannot be HTTP as soon as it shows (a request must start with a
/// method token, a response with `HTTP/1.`), so a peer speaking something else is
/// answered at once rather than at the deadline. Bytes after the head (the first
/// WebSocket frames) are handed back, never dropped.
struct HTTPHeadReader {
    enum Kind { case request, response }

    enum Step {
        case needMore
        case head(HTTPHead, rest: ByteBuffer)
        case invalid(String)
        case tooLarge
    }

    let kind: Kind
    let maxBytes: Int
    let maxFields: Int
    private var received: ByteBuffer?
    /// Bytes already searched for the head's end, so a head that trickles in is
    /// searched once, not once per read.
    private var scanned = 0

    init(_ kind: Kind, maxBytes: Int, maxFields: Int = 64) {
        self.kind = kind
        self.maxBytes = maxBytes
        self.maxFields = maxFields
    }

    mutating func feed(_ buffer: ByteBuffer) -> Step {
        if received == nil {
            received = buffer
        } else {
            var more = buffer
            received!.writeBuffer(&more)
        }
        let bytes = received!.readableBytesView
        if let junk = Self.checkStart(bytes, kind: kind) { return .invalid(junk) }
        guard let end = Self.endOfHead(bytes, from: scanned) else {
            scanned = bytes.count
            return bytes.count > maxBytes ? .tooLarge : .needMore
        }
        guard end <= maxBytes else { return .tooLarge }
        let rest = received!.getSlice(at: received!.readerIndex + end, length: bytes.count - end)!
        received = nil
        return parse(bytes.prefix(end), rest: rest)
    }

    /// Index just past the empty line that ends the head (`\n\n` or `\n\r\n`).
    private static func endOfHead(_ bytes: ByteBufferView, from scanned: Int) -> Int? {
        let base = bytes.startIndex
        var i = max(1, scanned - 2)
        while i < bytes.count {
            if bytes[base + i] == UInt8(ascii: "\n") {
                if bytes[base + i - 1] == UInt8(ascii: "\n") { return i + 1 }
                if i >= 2, bytes[base + i - 1] == UInt8(ascii: "\r"), bytes[base + i - 2] == UInt8(ascii: "\n") { return i + 1 }
            }
            i += 1
        }
        return nil
    }

    /// A reason if the first bytes cannot begin this kind of head.
    private static func checkStart(_ bytes: ByteBufferView, kind: Kind) -> String? {
        switch kind {
        case .response:
            let prefix = Array("HTTP/1.".utf8)
            return zip(bytes, prefix).allSatisfy({ $0 == $1 }) ? nil : "not an HTTP/1.1 response"
        case .request:
            // A method is a short token followed by a space.
            for (offset, byte) in bytes.prefix(24).enumerated() {
                if byte == UInt8(ascii: " ") { return offset > 0 ? nil : "not an HTTP request" }
                if !isTokenByte(byte) { return "not an HTTP request" }
            }
            return bytes.count >= 24 ? "not an HTTP request" : nil
        }
    }

    private func parse(_ head: ByteBufferView.SubSequence, rest: ByteBuffer) -> Step {
        var lines = head.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            line.last == UInt8(ascii: "\r") ? line.dropLast() : line
        }
        while lines.last?.isEmpty == true { lines.removeLast() }
        guard let first = lines.first else { return .invalid("an empty head") }
        let parts = first.split(separator: UInt8(ascii: " "), maxSplits: 2, omittingEmptySubsequences: false)
            .map { String(decoding: $0, as: UTF8.self) }
        switch kind {
        case .request:
            guard parts.count == 3, !parts[1].isEmpty, parts[2] == "HTTP/1.1" else {
                return .invalid("a malformed request line (an upgrade needs HTTP/1.1)")
            }
        case .response:
            guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), parts[1].utf8.count == 3, Int(parts[1]) != nil else {
                return .invalid("a malformed status line")
            }
        }
        var fields: [(name: String, value: String)] = []
        for line in lines.dropFirst() {
            guard fields.count < maxFields else { return .tooLarge }
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return .invalid("a header line without a colon") }
            let name = line[..<colon]
            // Also refuses obsolete line folding (a line starting with a space) and a
            // space before the colon, which RFC 9112 §5.1 requires refusing.
            guard !name.isEmpty, name.allSatisfy(Self.isTokenByte) else { return .invalid("a malformed header name") }
            let value = line[line.index(after: colon)...]
            guard value.allSatisfy({ $0 == 0x09 || ($0 >= 0x20 && $0 != 0x7F) }) else {
                return .invalid("a control character in a header value")
            }
            fields.append((Self.lowercasedTrimmed(name), Self.trimmed(value)))
        }
        return .head(HTTPHead(startLine: parts, fields: fields), rest: rest)
    }

    /// Without HTTP's optional whitespace (spaces and tabs) around it.
    static func trimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }), let end = bytes.lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(decoding: bytes[start...end], as: UTF8.self)
    }

    /// Trimmed, with ASCII letters lowercased (header names and tokens compare so).
    static func lowercasedTrimmed<Bytes: BidirectionalCollection>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        let lowered = bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }
        return trimmed(lowered)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~".utf8).contains(byte)
        }
    }
}
