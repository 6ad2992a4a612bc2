import LibP2PCore
import LibP2PRegistry
import LibP2PYamux
import NIOCore

/// yamux: the frame decoder alone, and a whole session fed a peer's bytes.
enum YamuxTargets {
    static let all = [frames, session]

    static let frames = FuzzTarget(
        name: "yamux-frames",
        run: { bytes in
            var input = FuzzInput(bytes)
            var decoder = YamuxFrameDecoder(maxDataLength: 256 * 1024)
            do {
                for chunk in input.chunks() {
                    decoder.append(ByteBuffer(bytes: chunk))
                    while let frame = try decoder.next() {
                        precondition(frame.header.type != .data || frame.payload.readableBytes == Int(frame.header.length))
                    }
                }
                try decoder.finish()
            } catch {}
        },
        seeds: { [FuzzInput.whole(sampleFrames()), [5] + sampleFrames()] })

    /// The first input byte picks our role (bit 0) and whether we also open a stream
    /// and write to it (bit 1); the rest arrives as the peer's bytes.
    static let session = FuzzTarget(
        name: "yamux-session",
        run: { bytes in
            var input = FuzzInput(bytes)
            let control = input.byte()
            let stream = ScriptedStream(input.chunks())
            let muxer = YamuxMuxer(configuration: YamuxConfiguration(maxStreams: 64))
            let connection = muxer.makeSession(over: stream, role: control & 1 == 0 ? .responder : .initiator)
            Blocking.run("yamux session") { await SessionDriver.drive(connection, openStream: control & 2 != 0) }
        },
        seeds: { [[0] + FuzzInput.whole(sampleFrames()), [3, 7] + sampleFrames()] })

    /// Open stream 1 (initiator's odd IDs) and 2, data, window update, ping, FIN, RST, go away.
    static func sampleFrames() -> [UInt8] {
        let frames = [
            YamuxFrame(header: YamuxFrameHeader(type: .data, flags: .syn, streamID: 1, length: 5), payload: ByteBuffer(string: "hello")),
            YamuxFrame(header: YamuxFrameHeader(type: .windowUpdate, flags: .syn, streamID: 3, length: 65536)),
            YamuxFrame(header: YamuxFrameHeader(type: .windowUpdate, flags: .ack, streamID: 2, length: 0)),
            YamuxFrame(header: YamuxFrameHeader(type: .ping, flags: .syn, streamID: 0, length: 42)),
            YamuxFrame(header: YamuxFrameHeader(type: .data, flags: .fin, streamID: 1, length: 3), payload: ByteBuffer(string: "bye")),
            YamuxFrame(header: YamuxFrameHeader(type: .windowUpdate, flags: .rst, streamID: 3, length: 0)),
            YamuxFrame(header: YamuxFrameHeader(type: .goAway, flags: [], streamID: 0, length: 0)),
        ]
        return frames.flatMap { Array($0.encoded.readableBytesView) }
    }
}

/// Runs a muxed session over a scripted peer to the end of its input: the read loop,
/// an accept loop that drains every inbound stream in a task of its own (a muxer
/// may wait for a stream's reader), and optionally one outbound stream that we write
/// to. Everything is in one task group, so nothing outlives the input.
enum SessionDriver {
    static func drive(_ connection: any MuxedConnection, openStream: Bool) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do { try await connection.run() } catch {}
                await connection.close()
            }
            group.addTask {
                await withTaskGroup(of: Void.self) { streams in
                    while let stream = try? await connection.acceptStream() {
                        streams.addTask { await drain(stream, reply: true) }
                    }
                }
            }
            if openStream {
                group.addTask {
                    guard let stream = try? await connection.openStream() else { return }
                    await drain(stream, reply: true)
                }
            }
        }
    }

    /// Writes a little, reads until the end, and closes.
    static func drain(_ stream: any MuxedStream, reply: Bool) async {
        do {
            if reply { try await stream.write(ByteBuffer(string: "ping")) }
            while try await stream.read() != nil {}
            try await stream.closeWrite()
        } catch {}
        await stream.close()
    }
}
