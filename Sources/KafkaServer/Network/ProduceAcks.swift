import KafkaProtocol
import NIOCore

/// Reads a Produce request's `acks` from its frame without decoding the request, so the listener knows whether the
/// request may overlap the next ones (acks=all waits for the ISR) before it hands the frame to its handler.
///
/// Layout (Kafka 2.8, Produce v0-9): request header (api key, version, correlation id, client id as a nullable
/// string; from v9 header v2 with tagged fields), then in v3+ the transactional id (a compact nullable string from
/// v9, a nullable string before), then `acks` as an int16. Nil when the frame is too short or malformed: the
/// handler answers that one.
enum ProduceAcks {
    static func peek(_ frame: ByteBuffer) -> Int16? {
        var buffer = frame
        do {
            guard let apiKey = buffer.readInteger(as: Int16.self), apiKey == ApiKey.produce.rawValue,
                let version = buffer.readInteger(as: Int16.self), buffer.readInteger(as: Int32.self) != nil,
                let clientIDLength = buffer.readInteger(as: Int16.self)
            else { return nil }
            if clientIDLength > 0 { guard buffer.readSlice(length: Int(clientIDLength)) != nil else { return nil } }
            let flexible = version >= 9
            if flexible {
                for _ in 0..<(try buffer.readUnsignedVarint()) {
                    _ = try buffer.readUnsignedVarint()
                    guard buffer.readSlice(length: Int(try buffer.readUnsignedVarint())) != nil else { return nil }
                }
            }
            if version >= 3 {
                let length =
                    flexible
                    ? Int(try buffer.readUnsignedVarint()) - 1 : buffer.readInteger(as: Int16.self).map(Int.init)
                guard let length else { return nil }
                if length > 0 { guard buffer.readSlice(length: length) != nil else { return nil } }
            }
            return buffer.readInteger(as: Int16.self)
        } catch {
            return nil
        }
    }
}
