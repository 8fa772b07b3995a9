public import KafkaProtocol

/// Reading a log back batch by batch, for the replays that rebuild state from it: a partition's producers, a
/// `__consumer_offsets` partition's groups and offsets, a `__transaction_state` partition's transactional ids.
extension Log {
    /// Calls `body` with every whole batch from `offset` (or the log start, if later) to the log end, in order; a
    /// batch that starts below `offset` (a compacted log) is included. Stops early at a region it cannot read.
    public func forEachBatch(from offset: Int64, _ body: (RecordBatch) -> Void) {
        var offset = max(offset, logStartOffset)
        while offset < logEndOffset {
            guard let data = try? read(from: offset, maxBytes: 1 << 20), var bytes = try? data.records?.readBytes(),
                bytes.readableBytes > 0
            else { return }
            var next = offset
            while let batch = try? RecordBatch.nextBatch(from: &bytes) {
                body(batch)
                next = max(next, batch.nextOffset)
            }
            guard next > offset else { return }
            offset = next
        }
    }
}
