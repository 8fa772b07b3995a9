import KafkaProtocol
import NIOCore
import Testing

@testable import KafkaServer

/// The listener reads a Produce's `acks` from the frame to decide whether the request may overlap the next ones;
/// the frames here are written by the generated encoder, every version, with and without client and transactional
/// ids (and a tagged field in the v9 header).
@Suite("Produce acks peek")
struct ProduceAcksTests {
    static func frame(
        version: Int16,
        acks: Int16,
        clientID: String?,
        transactionalID: String?,
        taggedHeader: Bool = false
    ) -> ByteBuffer {
        var buffer = ByteBuffer()
        let header = RequestHeader(
            requestApiKey: ApiKey.produce.rawValue,
            requestApiVersion: version,
            correlationID: 7,
            clientID: clientID
        )
        let headerVersion = ApiKey.produce.requestHeaderVersion(for: version)
        if taggedHeader {
            // Header v2 with one unknown tagged field (tag 5, three bytes), which a reader must skip.
            var plain = ByteBuffer()
            header.write(to: &plain, version: headerVersion)
            plain.moveWriterIndex(to: plain.writerIndex - 1)  // drop the empty tagged-field count
            buffer.writeBuffer(&plain)
            buffer.writeBytes([1, 5, 3, 0xAA, 0xBB, 0xCC])
        } else {
            header.write(to: &buffer, version: headerVersion)
        }
        ProduceRequest(transactionalID: transactionalID, acks: acks, timeoutMs: 1000, topicData: [])
            .write(to: &buffer, version: version)
        return buffer
    }

    @Test(arguments: Array(Int16(0)...9))
    func readsAcksInEveryVersion(version: Int16) {
        for acks: Int16 in [-1, 0, 1] {
            for clientID in [nil, "a-client"] {
                for transactionalID in version >= 3 ? [nil, "tx-1"] : [nil] {
                    let frame = Self.frame(
                        version: version,
                        acks: acks,
                        clientID: clientID,
                        transactionalID: transactionalID
                    )
                    #expect(ProduceAcks.peek(frame) == acks, "v\(version) \(clientID ?? "-") \(transactionalID ?? "-")")
                }
            }
        }
    }

    @Test func skipsTaggedFieldsInTheFlexibleHeader() {
        let frame = Self.frame(version: 9, acks: -1, clientID: "c", transactionalID: "tx", taggedHeader: true)
        #expect(ProduceAcks.peek(frame) == -1)
    }

    @Test func aTruncatedOrForeignFrameHasNoAcks() {
        let whole = Self.frame(version: 8, acks: -1, clientID: "c", transactionalID: "tx")
        // acks is followed by the timeout and the (empty) topic array, 8 bytes: cut there it is still read.
        #expect(ProduceAcks.peek(whole.getSlice(at: 0, length: whole.readableBytes - 8)!) == -1)
        #expect(ProduceAcks.peek(whole.getSlice(at: 0, length: whole.readableBytes - 9)!) == nil)
        #expect(ProduceAcks.peek(whole.getSlice(at: 0, length: 12)!) == nil)
        var fetch = whole
        fetch.setInteger(ApiKey.fetch.rawValue, at: 0)
        #expect(ProduceAcks.peek(fetch) == nil)
    }
}
