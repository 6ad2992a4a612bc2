import LibP2PCore
import LibP2PRegistry
import NIOCore

extension TransportConformance {
    /// Listens on `listenAddress`, runs `body` bounded by `limits.timeout`, closes the
    /// listener afterwards (and on timeout, with every connection `body` registered).
    func withListener(
        _ context: CheckContext, _ body: @escaping @Sendable (any Listener, ConnectionRegistry) async throws -> Void
    ) async throws {
        let connections = ConnectionRegistry()
        let transport = self.transport
        let address = listenAddress
        let listenerBox = SharedValue<(any Listener)?>(nil)
        try await withDeadline(
            limits.timeout, context,
            onTimeout: {
                await listenerBox.value?.close()
                await connections.closeAll()
            }
        ) {
            let listener = try await context.step("listen(\(address))") { try await transport.listen(address) }
            listenerBox.set(listener)
            let result = await outcome { try await body(listener, connections) }
            await connections.closeAll()
            await listener.close()
            try result.get()
        }
    }

    /// A dialed connection and the one the listener accepted for it.
    func connect(
        _ listener: any Listener, _ connections: ConnectionRegistry, _ context: CheckContext
    ) async throws -> (dialer: any RawConnection, acceptor: any RawConnection, dialed: Multiaddr) {
        guard let address = listener.localAddresses.first else {
            throw context.failure("the listener reports no local addresses")
        }
        let transport = self.transport
        async let accepted = context.step("accept()") { try await listener.accept() }
        let dialer = try await context.step("dial(\(address))") { try await transport.dial(address) }
        connections.add(dialer)
        guard let acceptor = try await accepted else {
            throw context.failure("accept() returned nil while a dial to \(address) succeeded")
        }
        connections.add(acceptor)
        return (dialer, acceptor, address)
    }

    func checkListenAddresses(_ context: CheckContext) async throws {
        try await withListener(context) { listener, _ in
            let addresses = listener.localAddresses
            try context.require(!addresses.isEmpty, "listening on \(listenAddress) reports no local addresses")
            for address in addresses {
                let hasZeroPort = address.components.contains { $0 == .tcp(0) || $0 == .udp(0) }
                try context.require(!hasZeroPort, "local address \(address) still has port 0; it must report the port bound")
                try context.require(transport.canDial(address), "canDial(\(address)) is false for the listener's own address")
            }
            try await context.step("a second listener on \(listenAddress)") {
                let second = try await transport.listen(listenAddress)
                let overlap = Set(second.localAddresses).intersection(addresses)
                await second.close()
                try context.require(overlap.isEmpty, "two listeners on port 0 report the same address \(overlap)")
            }
        }
    }

    func checkDialAndAccept(_ context: CheckContext) async throws {
        try await withListener(context) { listener, connections in
            let (dialer, acceptor, dialed) = try await connect(listener, connections, context)
            try context.require(
                dialer.remoteAddress == dialed, "the dialer's remoteAddress is \(dialer.remoteAddress), it dialed \(dialed)")
            try context.requireMirrored(
                dialer: (dialer.localAddress, dialer.remoteAddress), acceptor: (acceptor.localAddress, acceptor.remoteAddress))
            // A second dial is a second, separate connection.
            let (dialer2, acceptor2, _) = try await connect(listener, connections, context)
            try context.require(
                dialer2.localAddress != dialer.localAddress, "two dials share the local address \(dialer.localAddress)")
            for (n, from, to) in [(1, dialer, acceptor), (2, acceptor2, dialer2)] {
                try await context.step("a byte over connection \(n)") {
                    try await from.write([UInt8(n)])
                    let got = try await readExactly(1, from: to)
                    try context.require(got == [UInt8(n)], "connection \(n) carried \(got), expected [\(n)]: connections are crossed")
                }
            }
        }
    }

    func checkDataBothWays(_ context: CheckContext) async throws {
        let size = limits.transferBytes
        try await withListener(context) { listener, connections in
            let (dialer, acceptor, _) = try await connect(listener, connections, context)
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (name, connection, start, peerStart) in [("dialer", dialer, 1, 2), ("acceptor", acceptor, 2, 1)] {
                    group.addTask {
                        try await context.step("the \(name) writes \(size) bytes") {
                            try await writePattern(to: connection, start: start, count: size)
                            try await connection.closeWrite()
                        }
                    }
                    group.addTask {
                        try await context.step("the \(name) reads \(size) bytes") {
                            try await readAndVerifyPattern(from: connection, start: peerStart, count: size, context: context, what: "the \(name)'s read")
                        }
                    }
                }
                try await group.awaitAll()
            }
        }
    }

    func checkHalfClose(closer side: Side, _ context: CheckContext) async throws {
        try await withListener(context) { listener, connections in
            let (dialer, acceptor, _) = try await connect(listener, connections, context)
            let (closer, other) = side == .dialer ? (dialer, acceptor) : (acceptor, dialer)
            let otherName = side == .dialer ? "acceptor" : "dialer"
            try await transfer(100_000, start: 3, from: closer, to: other, closing: true, context, "the \(side.rawValue)'s data before its closeWrite()")
            let late = await outcome { try await closer.write([0]) }
            try context.require(late.isFailure, "a write after the \(side.rawValue)'s own closeWrite() succeeded; it must throw")
            try await transfer(
                100_000, start: 4, from: other, to: closer, closing: true, context, "the \(otherName)'s answer to the half-closed \(side.rawValue)")
        }
    }

    func checkListenerClose(_ context: CheckContext) async throws {
        try await withListener(context) { listener, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for n in 1...2 {
                    group.addTask {
                        let accepted = try await context.promptly("pending accept() #\(n) after the listener's close()") {
                            try await listener.accept()
                        }
                        if let accepted {
                            await accepted.close()
                            throw context.failure("pending accept() #\(n) returned a connection nobody dialed")
                        }
                    }
                }
                try await letPendingOperationsPark()
                context.note("the listener's close()")
                await listener.close()
                try await group.awaitAll()
            }
            let later = try await context.promptly("an accept() after the listener's close()") { try await listener.accept() }
            try context.require(later == nil, "an accept() after close() returned a connection; it must return nil")
        }
    }

    func checkConnectionClose(closer side: Side, _ context: CheckContext) async throws {
        try await withListener(context) { listener, connections in
            let (dialer, acceptor, _) = try await connect(listener, connections, context)
            let (closer, remote) = side == .dialer ? (dialer, acceptor) : (acceptor, dialer)
            let remoteName = side == .dialer ? "acceptor" : "dialer"
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    let read = try await context.promptly("the \(remoteName)'s pending read after the \(side.rawValue)'s close()") {
                        await outcome { try await remote.read() }
                    }
                    switch read {
                    case .success(nil): break
                    case .success(let chunk?): throw context.failure("the \(remoteName)'s pending read returned \(chunk.readableBytes) bytes nobody sent")
                    case .failure(let error):
                        throw context.failure("the \(remoteName)'s pending read threw \(describe(error)) on a clean close; it must return nil")
                    }
                }
                group.addTask {
                    let read = try await context.promptly("the \(side.rawValue)'s own pending read after its close()") {
                        await outcome { try await closer.read() }
                    }
                    if case .success(let chunk?) = read {
                        throw context.failure("the \(side.rawValue)'s own pending read returned \(chunk.readableBytes) bytes nobody sent")
                    }
                }
                try await letPendingOperationsPark()
                context.note("the \(side.rawValue)'s close()")
                await closer.close()
                try await group.awaitAll()
            }
            let write = await outcome { try await closer.write([1]) }
            try context.require(write.isFailure, "a write after the \(side.rawValue)'s own close() succeeded; it must throw")
        }
    }

    func checkDialRefused(_ context: CheckContext) async throws {
        let transport = self.transport
        let address = listenAddress
        try await withDeadline(limits.timeout, context) {
            let listener = try await context.step("listen(\(address))") { try await transport.listen(address) }
            guard let vacant = listener.localAddresses.first else { throw context.failure("the listener reports no local addresses") }
            await listener.close()
            let dial = try await context.promptly("dial(\(vacant)) after its listener closed") {
                await outcome { try await transport.dial(vacant) }
            }
            if case .success(let connection) = dial {
                await connection.close()
                throw context.failure("dial(\(vacant)) succeeded although its listener was closed")
            }
        }
    }
}

/// Connections a check opened, closed when it ends (or times out).
final class ConnectionRegistry: Sendable {
    private let connections = SharedValue<[any RawConnection]>([])

    func add(_ connection: any RawConnection) {
        connections.update { $0.append(connection) }
    }

    func closeAll() async {
        for connection in connections.update({ list in defer { list.removeAll() }; return list }) {
            await connection.close()
        }
    }
}
