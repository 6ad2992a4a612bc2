import LibP2PConformance
import LibP2PCore

/// The `PublicKey` protobuf for all four key types, and a signature check with the
/// key it describes (which hands the key bytes to libsodium or OpenSSL).
enum KeyTargets {
    static let all = [publicKey]

    static let publicKey = FuzzTarget(
        name: "public-key",
        run: { bytes in
            var input = FuzzInput(bytes)
            let signature = input.take(Int(input.byte()))
            guard let key = try? PublicKey(protobuf: input.rest()) else { return }
            _ = key.verify(signature: signature, for: Array("fuzz".utf8))
            _ = key.peerID
            _ = try? PublicKey(protobuf: key.protobufEncoded)
        },
        seeds: {
            let vectors = [SpecKeyVectors.ed25519, SpecKeyVectors.secp256k1, SpecKeyVectors.ecdsa, SpecKeyVectors.rsa]
            return vectors.map { [0] + [UInt8](hex: $0) } + vectors.map { [64] + [UInt8](repeating: 1, count: 64) + [UInt8](hex: $0) }
        })
}

/// libp2p/specs peer-ids/peer-ids.md: one public key of each type (hex).
enum SpecKeyVectors {
    static let ed25519 = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e"
    static let secp256k1 = "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99"
    static let ecdsa = "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62"
    static let rsa =
        "080012a60430820222300d06092a864886f70d01010105000382020f003082020a0282020100e1beab071d08200bde24"
        + "eef00d049449b07770ff9910257b2d7d5dda242ce8f0e2f12e1af4b32d9efd2c090f66b0f29986dbb645dae988008970"
        + "4a94e5066d594162ae6ee8892e6ec70701db0a6c445c04778eb3de1293aa1a23c3825b85c6620a2bc3f82f9b0c309bc0"
        + "ab3aeb1873282bebd3da03c33e76c21e9beb172fd44c9e43be32e2c99827033cf8d0f0c606f4579326c930eb4e854395"
        + "ad941256542c793902185153c474bed109d6ff5141ebf9cd256cf58893a37f83729f97e7cb435ec679d2e33901d27bb3"
        + "5aa0d7e20561da08885ef0abbf8e2fb48d6a5487047a9ecb1ad41fa7ed84f6e3e8ecd5d98b3982d2a901b4454991766d"
        + "a295ab78822add5612a2df83bcee814cf50973e80d7ef38111b1bd87da2ae92438a2c8cbcc70b31ee319939a3b9c761d"
        + "bc13b5c086d6b64bf7ae7dacc14622375d92a8ff9af7eb962162bbddebf90acb32adb5e4e4029f1c96019949ecfbfeff"
        + "d7ac1e3fbcc6b6168c34be3d5a2e5999fcbb39bba7adbca78eab09b9bc39f7fa4b93411f4cc175e70c0a083e96bfaefb"
        + "04a9580b4753c1738a6a760ae1afd851a1a4bdad231cf56e9284d832483df215a46c1c21bdf0c6cfe951c18f1ee4078c"
        + "79c13d63edb6e14feaeffabc90ad317e4875fe648101b0864097e998f0ca3025ef9638cd2b0caecd3770ab54a1d9c6ca"
        + "959b0f5dcbc90caeefc4135baca6fd475224269bbe1b0203010001"
}
