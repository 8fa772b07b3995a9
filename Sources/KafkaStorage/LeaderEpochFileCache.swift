/// A partition's leader epochs: for each epoch, the first offset written in it, in `leader-epoch-checkpoint`
/// (version line, count line, then `<epoch> <start offset>` per line). It answers OffsetForLeaderEpoch, which a
/// follower uses to find where its log diverges from the leader's after a leader change (KIP-101, KIP-279).
///
/// Epochs and start offsets both rise strictly. Not thread-safe: the owning `Log` calls it under its lock; every
/// change is written to the file at once, atomically.
final class LeaderEpochFileCache {
    struct Entry: Equatable {
        var epoch: Int32
        var startOffset: Int64
    }

    let path: String
    private(set) var entries: [Entry]

    init(directory: String) throws(StorageError) {
        path = "\(directory)/\(LogFileNames.leaderEpochCheckpoint)"
        var entries: [Entry] = []
        if let lines = try CheckpointFile.read(path) {
            for line in lines {
                let parts = line.split(separator: " ")
                guard parts.count == 2, let epoch = Int32(parts[0]), let offset = Int64(parts[1]) else {
                    throw .inconsistentDirectory(path: path, reason: "malformed line '\(line)'")
                }
                entries.append(Entry(epoch: epoch, startOffset: offset))
            }
        }
        self.entries = entries
    }

    var latestEpoch: Int32? { entries.last?.epoch }

    /// Records that `epoch` starts at `startOffset`, if it is newer than the latest epoch. An entry whose start
    /// offset is not below the new one is dropped first (it was for data that was truncated away).
    func assign(epoch: Int32, startOffset: Int64) throws(StorageError) {
        guard epoch >= 0 else { return }
        if let latest = entries.last, epoch <= latest.epoch { return }
        let before = entries
        entries.removeAll { $0.startOffset >= startOffset }
        entries.append(Entry(epoch: epoch, startOffset: startOffset))
        if entries != before { try flush() }
    }

    /// Kafka's answer to OffsetForLeaderEpoch for `requestedEpoch`: the largest epoch at or below it that this log
    /// knows, and the offset where the next higher epoch starts (or the log end offset for the latest epoch).
    /// (-1, -1) when the epoch is unknown or newer than any here.
    func endOffset(for requestedEpoch: Int32, logEndOffset: Int64) -> (epoch: Int32, endOffset: Int64) {
        if requestedEpoch < 0 { return (-1, -1) }
        if let latest = entries.last, latest.epoch == requestedEpoch { return (requestedEpoch, logEndOffset) }
        guard let higher = entries.first(where: { $0.epoch > requestedEpoch }) else { return (-1, -1) }
        guard let floor = entries.last(where: { $0.epoch <= requestedEpoch }) else {
            return (requestedEpoch, higher.startOffset)
        }
        return (floor.epoch, higher.startOffset)
    }

    /// Forgets epochs that start at or after `endOffset` (the log was truncated there).
    func truncate(fromEnd endOffset: Int64) throws(StorageError) {
        let before = entries.count
        entries.removeAll { $0.startOffset >= endOffset }
        if entries.count != before { try flush() }
    }

    /// Moves the start of the log to `startOffset`: epochs that end before it go, and the epoch that contains it
    /// now starts there.
    func truncate(fromStart startOffset: Int64) throws(StorageError) {
        guard let last = entries.lastIndex(where: { $0.startOffset <= startOffset }) else { return }
        let before = entries
        entries.removeFirst(last)
        entries[0].startOffset = startOffset
        if entries != before { try flush() }
    }

    func clear() throws(StorageError) {
        entries = []
        try flush()
    }

    private func flush() throws(StorageError) {
        try CheckpointFile.write(path, lines: entries.map { "\($0.epoch) \($0.startOffset)" })
    }
}
