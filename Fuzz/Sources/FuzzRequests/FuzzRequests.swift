import FuzzSupport
import KafkaProtocol
import NIOCore
import NIOEmbedded

/// libFuzzer target: what a client sends a broker, through the broker's own decoding path — the frame decoder
/// (`KafkaFrameReader` in a channel, as on a listener), the request header, and the body of every request type at
/// every version its schema defines, with a Produce request's batches cut and validated as the append path does.
///
/// Input: the TCP stream (size-prefixed frames). Every frame must end in a request or a `ProtocolError`; a decoded
/// request must encode back to bytes that decode to the same request.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequests(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let channel = EmbeddedChannel(handler: KafkaFrameReader(maxFrameSize: 1 << 20))
    defer { _ = try? channel.finish() }
    do {
        try channel.writeInbound(FuzzInput.buffer(data, size))
    } catch {
        return 0  // a size the broker refuses: the connection is closed
    }
    while let frame = try? channel.readInbound(as: ByteBuffer.self) {
        guard let request = try? RequestFrame(frame: frame) else { continue }
        let type = request.apiKey.requestType
        guard type.validVersions.contains(request.apiVersion) else {
            continue  // the dispatcher answers UNSUPPORTED_VERSION without decoding
        }
        decode(request, as: type)
    }
    return 0
}

private func decode<Request: KafkaRequest>(_ frame: RequestFrame, as _: Request.Type) {
    guard let request = try? frame.decodeBody(as: Request.self) else { return }
    var encoded = ByteBuffer()
    request.write(to: &encoded, version: frame.apiVersion)
    let again = try? Request(from: &encoded, version: frame.apiVersion)
    precondition(again == request, "\(Request.self) v\(frame.apiVersion) does not survive a round trip")
    if let produce = request as? ProduceRequest {
        for topic in produce.topicData {
            for partition in topic.partitionData {
                guard var records = partition.records else { continue }
                while let batch = try? RecordBatch.nextBatch(from: &records) {
                    _ = try? batch.validate(maxSize: 1 << 20, decompressionLimit: 1 << 20)
                }
            }
        }
    }
}
