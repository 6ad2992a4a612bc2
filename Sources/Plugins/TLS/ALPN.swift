/// ALPN as libp2p uses it (specs `connections/inlined-muxer-negotiation.md`): the
/// client offers its muxer protocol IDs in preference order and then "libp2p"; the
/// server picks its own first muxer that the client offered, else "libp2p" if
/// offered, else aborts. A chosen muxer skips the muxer's multistream round.
enum ALPN {
    /// The ALPN token of plain libp2p TLS: negotiate the muxer afterwards.
    static let libp2p = "libp2p"

    /// The client's offer: the muxers, then "libp2p" last.
    static func clientOffer(muxers: [String]) -> [String] {
        muxers.filter { $0 != libp2p } + [libp2p]
    }

    /// The ALPN wire list: each protocol as a length byte and its bytes.
    static func encode(_ protocols: [String]) throws -> [UInt8] {
        var wire: [UInt8] = []
        for name in protocols {
            let bytes = Array(name.utf8)
            guard (1...255).contains(bytes.count) else { throw TLSError.invalidALPNProtocol(name) }
            wire.append(UInt8(bytes.count))
            wire += bytes
        }
        return wire
    }

    /// The byte ranges of the protocols in a wire list; nil if it is malformed.
    static func decode(_ wire: UnsafeBufferPointer<UInt8>) -> [Range<Int>]? {
        var ranges: [Range<Int>] = []
        var index = 0
        while index < wire.count {
            let length = Int(wire[index])
            let start = index + 1
            guard length > 0, start + length <= wire.count else { return nil }
            ranges.append(start..<start + length)
            index = start + length
        }
        return ranges
    }

    /// The server's choice among `offered`: its first supported muxer the client
    /// offered (server preference, as go's and rust's TLS stacks pick), else
    /// "libp2p" if offered, else nil.
    static func select(offered: [String], supported muxers: [String]) -> String? {
        if let muxer = muxers.first(where: { $0 != libp2p && offered.contains($0) }) { return muxer }
        return offered.contains(libp2p) ? libp2p : nil
    }

    /// The server's choice straight from the client's wire list, as the byte range of
    /// the chosen protocol in that list (OpenSSL wants a pointer into it).
    static func select(fromWire wire: UnsafeBufferPointer<UInt8>, supported muxers: [String]) -> Range<Int>? {
        guard let ranges = decode(wire) else { return nil }
        let offered = ranges.map { String(decoding: UnsafeBufferPointer(rebasing: wire[$0]), as: UTF8.self) }
        guard let choice = select(offered: offered, supported: muxers) else { return nil }
        return ranges[offered.firstIndex(of: choice)!]
    }

    /// The muxer agreed by ALPN: nil for "libp2p", the muxer ID when it is one of
    /// ours, an error for anything else.
    static func earlyMuxer(selected: String, muxers: [String]) throws -> String? {
        if selected == libp2p { return nil }
        guard muxers.contains(selected) else { throw TLSError.unexpectedALPN(selected) }
        return selected
    }
}
