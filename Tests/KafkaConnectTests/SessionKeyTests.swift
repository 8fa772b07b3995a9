import Avro
import Foundation
import KafkaConnect
import Testing

@testable import ConnectRuntime

/// KIP-507's pieces: HMAC signatures (RFC 4231's test vector), the leader's checks of an internal request with
/// Kafka's messages, the `session-key` record, the `sessioned` protocol's version-2 bytes and the worker's keys.
@Suite struct SessionKeyTests {
    @Test func signaturesAreHMACsOfTheBody() {
        // RFC 4231, test case 2.
        let mac = SessionKey.sign(
            Array("what do ya want for nothing?".utf8),
            key: Array("Jefe".utf8),
            algorithm: "HmacSHA256"
        )
        #expect(
            mac?.map { String(format: "%02x", $0) }.joined()
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        )
        #expect(SessionKey.sign([], key: [1], algorithm: "HmacMD5") == nil)
    }

    @Test func theLeaderChecksSignaturesAsKafkaDoes() throws {
        let key = SessionKey.generate(algorithm: "HmacSHA256", bits: 256, now: 1)
        #expect(key.key.count == 32)
        let body = Array(#"[{"topic":"t"}]"#.utf8)
        let headers = Dictionary(uniqueKeysWithValues: key.headers(signing: body, algorithm: "HmacSHA256"))
        let signature = headers[SessionKey.signatureHeader]
        let algorithm = headers[SessionKey.algorithmHeader]
        #expect(algorithm == "HmacSHA256")
        try key.verify(body: body, signature: signature, algorithm: algorithm, verification: ["HmacSHA256"])
        #expect(throws: HerderError.badRequest("Internal request missing required signature")) {
            try key.verify(body: body, signature: nil, algorithm: nil, verification: ["HmacSHA256"])
        }
        #expect(throws: HerderError.forbidden("Internal request contained invalid signature.")) {
            try key.verify(
                body: body + [0x20],
                signature: signature,
                algorithm: algorithm,
                verification: ["HmacSHA256"]
            )
        }
        let other = SessionKey.generate(algorithm: "HmacSHA256", bits: 256, now: 1)
        #expect(throws: HerderError.forbidden("Internal request contained invalid signature.")) {
            try other.verify(body: body, signature: signature, algorithm: algorithm, verification: ["HmacSHA256"])
        }
        let refused = #expect(throws: HerderError.self) {
            try key.verify(body: body, signature: signature, algorithm: "HmacSHA512", verification: ["HmacSHA256"])
        }
        #expect(refused?.status == 400)
        #expect(
            refused?.message.hasPrefix(
                "This worker does not support the 'HmacSHA512' key signing algorithm used by other workers. This worker is currently configured to use: [HmacSHA256]."
            ) == true
        )
    }

    @Test func theRecordIsKeyAlgorithmAndCreationTimestamp() throws {
        let key = SessionKey(key: [1, 2, 3], algorithm: "HmacSHA256", creationTimestamp: 1_700_000_000_000)
        let text = String(decoding: key.recordValue, as: UTF8.self)
        #expect(text == #"{"key":"AQID","algorithm":"HmacSHA256","creation-timestamp":1700000000000}"#)
        #expect(SessionKey(record: try JSONValue.parse(text)) == key)
        #expect(SessionKey(record: try JSONValue.parse(#"{"key":"AQID"}"#)) == nil)
    }

    @Test func sessionedMetadataAndAssignmentsAreVersionTwo() throws {
        let allocation = ConnectProtocol.Assignment(
            version: 2,
            error: 0,
            leader: "",
            leaderURL: "",
            configOffset: 3,
            connectors: ["a"],
            tasks: []
        )
        let state = ConnectProtocol.WorkerState(url: "u", configOffset: 3, allocation: allocation)
        let bytes = ConnectProtocol.encode(state, version: 2)
        #expect(Array(bytes.prefix(2)) == [0, 2])
        let decoded = try ConnectProtocol.decodeWorkerState(bytes)
        #expect(decoded.allocation?.version == 2)
        #expect(decoded.allocation?.connectors == ["a"])
        var assignment = allocation
        assignment.delay = 500
        let encoded = ConnectProtocol.encode(assignment)
        #expect(Array(encoded.prefix(2)) == [0, 2])
        #expect(try ConnectProtocol.decodeAssignment(encoded) == assignment)
    }

    @Test func theKeySettingsAreChecked() throws {
        let base = [
            "group.id": "g", "config.storage.topic": "c", "offset.storage.topic": "o", "status.storage.topic": "s",
        ]
        let defaults = try DistributedConfig(base)
        #expect(defaults.signatureAlgorithm == "HmacSHA256" && defaults.keyTTLMs == 3_600_000)
        #expect(defaults.keySizeBits == 256 && defaults.verificationAlgorithms == ["HmacSHA256"])
        #expect(throws: ConnectConfigError.self) {
            try DistributedConfig(base.merging(["inter.worker.signature.algorithm": "HmacSHA512"]) { $1 })
        }
        let both = try DistributedConfig(
            base.merging([
                "inter.worker.signature.algorithm": "HmacSHA512",
                "inter.worker.verification.algorithms": "HmacSHA256, HmacSHA512",
            ]) { $1 }
        )
        #expect(both.verificationAlgorithms == ["HmacSHA256", "HmacSHA512"])
        #expect(throws: ConnectConfigError.self) {
            try DistributedConfig(base.merging(["inter.worker.key.generation.algorithm": "DES"]) { $1 })
        }
    }
}
