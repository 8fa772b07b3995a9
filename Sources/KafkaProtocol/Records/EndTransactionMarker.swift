import NIOCore

/// A transaction marker's content (Kafka's `EndTransactionMarker`), the one record of a control batch: its key is
/// int16 version (0) and int16 type (`ControlRecordType`), its value int16 version (0) and int32 coordinator epoch.
/// The transaction coordinator writes markers through WriteTxnMarkers; partitions read them to close transactions.
public struct EndTransactionMarker: Sendable, Equatable {
    public var type: ControlRecordType
    public var coordinatorEpoch: Int32

    public init(type: ControlRecordType, coordinatorEpoch: Int32) {
        self.type = type
        self.coordinatorEpoch = coordinatorEpoch
    }

    public var isCommit: Bool { type == .commit }
}

extension RecordBatch {
    /// The marker a control batch holds; nil for a data batch and for a control record of another type or of a
    /// negative version (Kafka reads later versions' fields it knows).
    public var endTransactionMarker: EndTransactionMarker? {
        guard isControl else { return nil }
        var marker: EndTransactionMarker?
        try? forEachKeyAndValue(decompressionLimit: 1 << 16) { key, value in
            guard var key, var value, let keyVersion = key.readInteger(as: Int16.self), keyVersion >= 0,
                let rawType = key.readInteger(as: Int16.self), let type = ControlRecordType(rawValue: rawType),
                let valueVersion = value.readInteger(as: Int16.self), valueVersion >= 0,
                let coordinatorEpoch = value.readInteger(as: Int32.self)
            else { return false }
            marker = EndTransactionMarker(type: type, coordinatorEpoch: coordinatorEpoch)
            return false
        }
        return marker
    }
}
