import LibP2PCore
import LibP2PRegistry
import PlaintextSecurity
import Testing

/// The exchange message against hand-built bytes: what the conformance suite cannot
/// see, because both of its sides use this same codec.
@Suite struct ExchangeTests {
    let key = PrivateKey.generateEd25519().publicKey

    @Test func encodesTheSpecsFieldsInOrder() throws {
        let id = key.peerID.multihash
        let pub = key.protobufEncoded
        let expected: [UInt8] = [0x0A, UInt8(id.count)] + id + [0x12, UInt8(pub.count)] + pub
        #expect(PlaintextExchange(publicKey: key).encoded() == expected)
        #expect(try PlaintextExchange(decoding: expected) == PlaintextExchange(publicKey: key))
    }

    @Test func skipsUnknownFields() throws {
        let bytes = [0x1A, 0x02, 0xFF, 0xFF] + PlaintextExchange(publicKey: key).encoded()
        #expect(try PlaintextExchange(decoding: bytes).peerID == key.peerID)
    }

    @Test func refusesAPeerIDThatIsNotTheKeys() throws {
        let other = PrivateKey.generateEd25519().publicKey
        let id = other.peerID.multihash
        let pub = key.protobufEncoded
        let bytes: [UInt8] = [0x0A, UInt8(id.count)] + id + [0x12, UInt8(pub.count)] + pub
        #expect(throws: SecurityError.self) { try PlaintextExchange(decoding: bytes) }
    }

    @Test func refusesMissingFieldsAndTruncation() throws {
        let whole = PlaintextExchange(publicKey: key).encoded()
        let idOnly = Array(whole.prefix(2 + Int(whole[1])))
        #expect(throws: SecurityError.self) { try PlaintextExchange(decoding: idOnly) }
        #expect(throws: SecurityError.self) { try PlaintextExchange(decoding: Array(whole.dropLast())) }
        #expect(throws: SecurityError.self) { try PlaintextExchange(decoding: [0x08, 0x01]) }
        #expect(throws: SecurityError.self) { try PlaintextExchange(decoding: []) }
    }
}
