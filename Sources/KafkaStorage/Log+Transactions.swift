public import KafkaCore

/// The log's aborted transactions (Kafka's `Log.collectAbortedTransactions`): each segment's `.txnindex` lists
/// those whose ABORT marker it holds. The partition appends an entry right after appending the marker (under its
/// append lock, so the marker's segment is known); read_committed fetches collect the ones overlapping what they
/// return.
extension Log {
    /// The partition's first unstable offset (`Partition.transactionsChanged`), so that compaction never rewrites a
    /// transaction whose outcome is not known. The log manager sets the log start offset when it loads a log at
    /// startup, until its partition has read its producer state.
    public func updateFirstUnstableOffset(_ offset: Int64?) {
        state.withLock { $0.firstUnstableOffset = offset }
    }

    /// Adds `transaction` to the index of the segment holding its marker. An entry at or before one already there
    /// is refused with `nonMonotonicOffsets` (a replay after a restart finds the ones written before).
    public func appendAbortedTransaction(_ transaction: AbortedTransaction) throws(StorageError) {
        try state.withLock { (state: inout State) throws(StorageError) in
            guard let index = state.segmentIndex(containing: transaction.lastOffset) else { return }
            try state.segments[index].transactionIndex.append(transaction)
        }
    }

    /// The aborted transactions that overlap a fetch of `[fetchOffset, upperBoundOffset)`, searching the segments
    /// from the one holding `fetchOffset` until an entry's last stable offset shows that later ones cannot overlap.
    public func abortedTransactions(
        fetchOffset: Int64,
        upperBoundOffset: Int64
    ) throws(StorageError) -> [AbortedTransaction] {
        let indexes = state.withLock { state -> [TransactionIndex] in
            guard let first = state.segmentIndex(containing: fetchOffset) else { return [] }
            return state.segments[first...].map(\.transactionIndex)
        }
        var found: [AbortedTransaction] = []
        for index in indexes {
            let (transactions, isComplete) = try index.abortedTransactions(
                fetchOffset: fetchOffset,
                upperBoundOffset: upperBoundOffset
            )
            found += transactions
            if isComplete { break }
        }
        return found
    }
}
