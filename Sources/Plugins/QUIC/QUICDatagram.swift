import NIOCore

/// What a connection sends in one write: one packet, or with segmentation offload
/// (GSO) several packets of `segmentSize` bytes back to back (the last may be
/// shorter), which the kernel splits into datagrams. One system call then carries
/// up to `QUICDatagram.maxSegments` packets instead of one: sending was over half a
/// bulk sender's time, almost all of it in the kernel's per-datagram path.
struct QUICDatagram {
    var bytes: ByteBuffer
    /// Nil for a single packet.
    var segmentSize: Int?

    /// The kernel's limit is 64 segments, and a UDP payload's 65,507 bytes.
    static let maxSegments = 32
}

/// Gathers the packets of one `writePackets` call into `QUICDatagram`s.
struct QUICDatagramBatcher {
    let offload: Bool
    private var segment = 0
    private var segments = 0
    private var open = false

    init(offload: Bool) { self.offload = offload }

    /// Adds one packet: to the open batch when it fits the rules of GSO (every
    /// segment but the last exactly `segment` bytes), else as a new datagram.
    mutating func add(_ packet: UnsafeRawBufferPointer, to out: inout [QUICDatagram]) {
        if offload, open, packet.count <= segment, segments < QUICDatagram.maxSegments, let last = out.indices.last {
            out[last].bytes.writeBytes(packet)
            out[last].segmentSize = segment
            segments += 1
            open = packet.count == segment  // a short packet must be the last
            return
        }
        var bytes = ByteBufferAllocator().buffer(capacity: offload ? packet.count * 8 : packet.count)
        bytes.writeBytes(packet)
        out.append(QUICDatagram(bytes: bytes, segmentSize: nil))
        segment = packet.count
        segments = 1
        open = offload
    }
}
