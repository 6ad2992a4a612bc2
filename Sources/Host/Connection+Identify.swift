import LibP2PCore
import Logging

/// The asking side of identify on one connection.
extension Connection {
    func exchangeIdentify() async -> IdentifyOutcome {
        do {
            let info = try await withDeadline(identifyTimeout, "identify") {
                let stream = try await self.newStream(IdentifyProtocol.id)
                do {
                    let info = try await IdentifyProtocol.read(from: stream)
                    await stream.close()
                    return info
                } catch {
                    await stream.reset()
                    throw error
                }
            }
            if let key = info.publicKey, key.peerID != remotePeer {
                return .failed("identify names key \(key.peerID), not the connected peer")
            }
            return .identified(info)
        } catch HostError.negotiationFailed(_, let underlying) where underlying is MultistreamError {
            return .notSupported
        } catch {
            return .failed("\(error)")
        }
    }

    func log(_ outcome: IdentifyOutcome) {
        switch outcome {
        case .identified(let info):
            logger.info(
                "identified",
                metadata: [
                    "remote": "\(remotePeer)", "agent": "\(info.agentVersion)",
                    "protocols": "\(info.protocols.joined(separator: ","))",
                    "observed": "\(info.observedAddress.map { "\($0)" } ?? "none")",
                ])
        case .notSupported:
            logger.info("the peer does not serve identify", metadata: ["remote": "\(remotePeer)"])
        case .failed(let why):
            logger.info("identify failed", metadata: ["remote": "\(remotePeer)", "error": "\(why)"])
        }
    }
}
