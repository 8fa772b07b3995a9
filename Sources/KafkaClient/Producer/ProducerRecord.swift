public import KafkaCore

/// Where a record was written: its partition and offset, and its timestamp (the broker's when the topic uses
/// LogAppendTime). With `acks=0` the offset is unknown (-1).
public struct RecordMetadata: Sendable, Equatable {
    public var topic: String
    public var partition: PartitionID
    public var offset: Offset
    public var timestamp: Int64
}

/// Why a record was not written.
public enum ProducerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The broker refused the record's batch with this error (after any retries).
    case broker(KafkaErrorCode, message: String?)
    /// `delivery.timeout.ms` passed before the record was acknowledged.
    case deliveryTimeout
    /// `send` waited `max.block.ms` for metadata or buffer room.
    case timedOut(String)
    /// The record is larger than `max.request.size` or `buffer.memory` allow.
    case recordTooLarge(size: Int, limit: Int)
    /// The producer was closed before the record was sent.
    case closed

    public var description: String {
        switch self {
        case .broker(let code, let message): "\(code)" + (message.map { ": \($0)" } ?? "")
        case .deliveryTimeout: "the record expired before it was acknowledged (delivery.timeout.ms)"
        case .timedOut(let what): "timed out waiting for \(what) (max.block.ms)"
        case .recordTooLarge(let size, let limit): "the record is \(size) bytes, above the limit of \(limit)"
        case .closed: "the producer is closed"
        }
    }
}

/// What a record's sender is told when its batch is done.
public typealias DeliveryCallback = @Sendable (Result<RecordMetadata, ProducerError>) -> Void
