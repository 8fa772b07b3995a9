import KafkaCore
import KafkaProtocol
import NIOCore
import Testing

/// Every generated message at every version of its schema.
@Suite("Generated messages")
struct GeneratedMessageTests {
    @Test func everyMessageRoundTripsAtEveryVersion() throws {
        var checked = 0
        for type in allGeneratedMessages {
            for version in type.validVersions {
                for seed in 1...3 as ClosedRange<UInt64> {
                    try roundTrip(type, version: version, seed: seed)
                    checked += 1
                }
            }
        }
        // 50 APIs with requests and responses plus 8 other messages, each with one or more versions.
        #expect(allGeneratedMessages.count == 108)
        #expect(checked > 1_000)
    }

    @Test func responsesVisitEveryErrorCodeNestedOnesIncluded() {
        var metadata = MetadataResponse()
        metadata.topics = [
            .init(
                errorCode: .unknownTopicOrPartition,
                name: "a",
                partitions: [.init(errorCode: .none), .init(errorCode: .notLeaderOrFollower)]
            ),
            .init(errorCode: .none, name: "b", partitions: [.init(errorCode: .replicaNotAvailable)]),
        ]
        var codes: [Int16] = []
        metadata.forEachErrorCode { codes.append($0.rawValue) }
        #expect(codes == [3, 0, 6, 0, 9])

        let produce = ProduceResponse(responses: [
            .init(
                name: "t",
                partitionResponses: [.init(index: 0, errorCode: .none), .init(index: 1, errorCode: .notEnoughReplicas)]
            )
        ])
        codes = []
        produce.forEachErrorCode { codes.append($0.rawValue) }
        #expect(codes == [0, 19])

        // A response's own code comes before its nested ones.
        var groups = DescribeGroupsResponse()
        groups.groups = [.init(errorCode: .notCoordinator, groupID: "g")]
        codes = []
        groups.forEachErrorCode { codes.append($0.rawValue) }
        #expect(codes == [16])
        var fetch = FetchResponse()
        fetch.errorCode = .requestTimedOut
        fetch.responses = [.init(topic: "t", partitions: [.init(partitionIndex: 0, errorCode: .offsetOutOfRange)])]
        codes = []
        fetch.forEachErrorCode { codes.append($0.rawValue) }
        #expect(codes == [7, 1])
    }

    /// A code the table does not name (a newer broker's) is read, kept and written back as its number.
    @Test func anUnknownErrorCodeIsKeptAsItsNumber() throws {
        var buffer = ByteBuffer()
        buffer.writeInteger(Int32(0))  // throttle time
        buffer.writeInteger(Int16(1234))  // error code
        let decoded = try HeartbeatResponse(from: &buffer, version: 1)
        #expect(decoded.errorCode.rawValue == 1234)
        #expect(decoded.errorCode.name == "UNKNOWN(1234)")
        #expect(!decoded.errorCode.isRetriable)
        var written = ByteBuffer()
        decoded.write(to: &written, version: 1)
        #expect(written.getInteger(at: 4, as: Int16.self) == 1234)
        #expect(KafkaErrorCode.notLeaderOrFollower.description == "NOT_LEADER_OR_FOLLOWER (6)")
    }

    private func roundTrip<M: SampleableMessage>(_: M.Type, version: Int16, seed: UInt64) throws {
        let (message, encoded) = M.encodedSample(version: version, seed: seed)
        let decoded = try M.decodeAll(encoded, version: version)
        #expect(decoded == message, "\(M.name) v\(version) seed \(seed) did not round-trip")
        var reencoded = ByteBuffer()
        decoded.write(to: &reencoded, version: version)
        #expect(reencoded == encoded, "\(M.name) v\(version): re-encoding differs")
    }

    @Test func everyTruncationIsAnErrorNotACrash() throws {
        var prefixes = 0
        for type in allGeneratedMessages {
            for version in type.validVersions {
                prefixes += truncations(type, version: version)
            }
        }
        #expect(prefixes > 10_000)
    }

    /// Every strict prefix of an encoding must fail to decode: every field takes at least one byte, so a cut
    /// always lands inside one.
    private func truncations<M: SampleableMessage>(_: M.Type, version: Int16) -> Int {
        let (_, encoded) = M.encodedSample(version: version, seed: 7)
        for length in 0..<encoded.readableBytes {
            var prefix = encoded.getSlice(at: encoded.readerIndex, length: length)!
            #expect(throws: ProtocolError.self, "\(M.name) v\(version) cut at \(length)") {
                _ = try M(from: &prefix, version: version)
            }
        }
        return encoded.readableBytes
    }

    @Test func unknownTaggedFieldsAreSkipped() throws {
        // A flexible ApiVersions v3 request carrying a tag (99) this broker has never heard of.
        var buffer = ByteBuffer()
        buffer.writeKafkaString("kcat", compact: true)
        buffer.writeKafkaString("1.7.1", compact: true)
        buffer.writeUnsignedVarint(1)
        buffer.writeUnsignedVarint(99)
        buffer.writeUnsignedVarint(3)
        buffer.writeBytes([1, 2, 3])
        let request = try ApiVersionsRequest.decodeAll(buffer, version: 3)
        #expect(request.clientSoftwareName == "kcat")
        #expect(request.clientSoftwareVersion == "1.7.1")
    }

    @Test func defaultTaggedFieldsAreNotWritten() throws {
        // FetchResponse v12 partition: DivergingEpoch, CurrentLeader and SnapshotId are tagged; at their defaults
        // the partition's tagged section is a single zero byte (librdkafka 2.0.2 mis-skips tagged fields).
        let partition = FetchResponse.PartitionData(partitionIndex: 0, records: ByteBuffer())
        var plain = ByteBuffer()
        partition.write(to: &plain, version: 12)
        var withLeader = ByteBuffer()
        var led = partition
        led.currentLeader = FetchResponse.LeaderIDAndEpoch(leaderID: 3, leaderEpoch: 9)
        led.write(to: &withLeader, version: 12)
        #expect(plain.readableBytes < withLeader.readableBytes)
        #expect(plain.getInteger(at: plain.writerIndex - 1, as: UInt8.self) == 0)
        var decoded = withLeader
        #expect(try FetchResponse.PartitionData(from: &decoded, version: 12) == led)
    }
}
