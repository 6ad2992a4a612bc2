import LibP2PCore
import LibP2PRegistry

/// The mplex stream multiplexer (`/mplex/6.7.0`), as a registry plugin.
///
/// Deprecated in libp2p but still in the interop matrix (rust, jvm, nim, c, js).
/// See README.md in this folder for the design.
public struct MplexMuxer: MuxerProtocol {
    /// Limits of one session. mplex has no flow control, so these bounds are what keeps a
    /// fast or hostile peer from exhausting memory.
    public struct Configuration: Sendable, Equatable {
        /// Largest payload of one frame, received or sent; larger writes are split.
        /// Every implementation uses 1 MiB.
        public var maxMessageSize: Int
        /// Unread bytes one stream may hold; a stream whose peer sends more is reset.
        public var maxStreamReceiveBuffer: Int
        /// Unread bytes all streams of the session together may hold; the stream whose
        /// data would exceed it is reset.
        public var maxConnectionReceiveBuffer: Int
        /// Inbound streams waiting for `acceptStream()`; beyond it new ones are reset.
        public var acceptBacklog: Int
        /// Open streams, both directions together; beyond it inbound ones are reset and
        /// `openStream()` throws `MuxerError.tooManyStreams`.
        public var maxStreams: Int
        /// Reset and Close frames queued behind a peer that does not read; beyond it the
        /// session fails.
        public var maxPendingControlFrames: Int

        public init(
            maxMessageSize: Int = MplexFrame.defaultMaxMessageSize,
            maxStreamReceiveBuffer: Int = 4 << 20,
            maxConnectionReceiveBuffer: Int = 64 << 20,
            acceptBacklog: Int = 256,
            maxStreams: Int = 1024,
            maxPendingControlFrames: Int = 4096
        ) {
            precondition(maxMessageSize > 0 && maxStreamReceiveBuffer > 0 && maxConnectionReceiveBuffer > 0)
            precondition(acceptBacklog >= 0 && maxStreams > 0 && maxPendingControlFrames > 0)
            self.maxMessageSize = maxMessageSize
            self.maxStreamReceiveBuffer = maxStreamReceiveBuffer
            self.maxConnectionReceiveBuffer = maxConnectionReceiveBuffer
            self.acceptBacklog = acceptBacklog
            self.maxStreams = maxStreams
            self.maxPendingControlFrames = maxPendingControlFrames
        }
    }

    public let name = "mplex"
    public let protocolID = "/mplex/6.7.0"
    public let configuration: Configuration

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    public func makeSession(over stream: any ByteStream, role: MuxerRole) -> any MuxedConnection {
        MplexSession(over: stream, role: role, configuration: configuration)
    }
}
