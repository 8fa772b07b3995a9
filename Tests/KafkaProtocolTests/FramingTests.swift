import KafkaProtocol
import NIOCore
import Testing

@Suite("Request and response framing")
struct FramingTests {
    @Test func headerVersionsFollowFlexibilityWithKafkasExceptions() {
        #expect(ApiKey.produce.requestHeaderVersion(for: 8) == 1)
        #expect(ApiKey.produce.requestHeaderVersion(for: 9) == 2)
        #expect(ApiKey.produce.responseHeaderVersion(for: 9) == 1)
        #expect(ApiKey.metadata.responseHeaderVersion(for: 8) == 0)
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(for: 0) == 0)
        #expect(ApiKey.controlledShutdown.requestHeaderVersion(for: 1) == 1)
        // ApiVersions: a flexible request header from v3, but always a v0 response header.
        #expect(ApiKey.apiVersions.requestHeaderVersion(for: 3) == 2)
        #expect(ApiKey.apiVersions.responseHeaderVersion(for: 3) == 0)
    }

    @Test func responseFramesCarrySizeHeaderAndBody() throws {
        let response = HeartbeatResponse(throttleTimeMs: 5, errorCode: .rebalanceInProgress)
        var buffer = ByteBuffer()
        ResponseFrame.write(response, version: 4, correlationID: 99, to: &buffer)
        let size = buffer.readInteger(as: Int32.self)
        #expect(size.map(Int.init) == buffer.readableBytes)
        #expect(buffer.readInteger(as: Int32.self) == 99)
        #expect(buffer.readInteger(as: UInt8.self) == 0)  // v1 response header: an empty tagged-field section
        #expect(try HeartbeatResponse(from: &buffer, version: 4) == response)
        #expect(buffer.readableBytes == 0)
    }

    /// KIP-511: an ApiVersions version the broker does not serve is answered in the v0 format, header and body,
    /// which every client can read (kafka-python decodes it as v0, librdkafka falls back to v0 on failure).
    @Test func unsupportedApiVersionsIsAnsweredInVersionZero() throws {
        var buffer = ByteBuffer()
        ResponseFrame.writeUnsupportedApiVersions(correlationID: 7, supported: 0...4, to: &buffer)
        let size = buffer.readInteger(as: Int32.self)
        #expect(size.map(Int.init) == buffer.readableBytes)
        #expect(buffer.readInteger(as: Int32.self) == 7)  // header v0: correlation id only
        let body = try ApiVersionsResponse(from: &buffer, version: 0)
        #expect(buffer.readableBytes == 0)
        #expect(body.errorCode == .unsupportedVersion)
        #expect(body.apiKeys == [ApiVersionsResponse.ApiVersion(apiKey: 18, minVersion: 0, maxVersion: 4)])
    }

    @Test func requestFramesSplitHeaderFromBody() throws {
        var frame = ByteBuffer()
        RequestHeader(requestApiKey: 12, requestApiVersion: 4, correlationID: 3, clientID: "c")
            .write(to: &frame, version: 2)
        HeartbeatRequest(groupID: "g", generationID: 1, memberID: "m").write(to: &frame, version: 4)
        let request = try RequestFrame(frame: frame)
        #expect(request.apiKey == .heartbeat)
        #expect(request.correlationID == 3)
        #expect(request.header.clientID == "c")
        let body: HeartbeatRequest = try request.decodeBody()
        #expect(body.memberID == "m")
    }

    @Test func unknownApiKeysAreNamed() {
        var frame = ByteBuffer()
        frame.writeKafkaInteger(Int16(71))
        frame.writeKafkaInteger(Int16(0))
        frame.writeKafkaInteger(Int32(1))
        #expect(throws: ProtocolError.unknownApiKey(71)) { _ = try RequestFrame(frame: frame) }
        #expect(throws: ProtocolError.truncated(field: "request header")) {
            _ = try RequestFrame(frame: ByteBuffer(bytes: [0, 1]))
        }
    }
}
