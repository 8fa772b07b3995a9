import NIOCore

/// Who is appending: a producer through the leader (offsets are assigned), the broker itself (offsets assigned,
/// the batch built by the broker), or a follower copying the leader (offsets kept as they are).
public enum AppendOrigin: Sendable, Equatable {
    case client
    case coordinator
    case replication
}

/// What an append wrote.
public struct LogAppendInfo: Sendable, Equatable {
    public var firstOffset: Int64
    public var lastOffset: Int64
    public var maxTimestamp: Int64
    public var offsetOfMaxTimestamp: Int64
    /// The broker time written into LogAppendTime batches, else -1.
    public var logAppendTime: Int64
    public var logStartOffset: Int64
    public var batchCount: Int
    public var recordCount: Int
    public var validBytes: Int
    /// The base offset of the segment this append rolled to before writing, nil when it rolled none (the state
    /// derived from the log as of that offset is the state before this append).
    public var rolledSegmentBaseOffset: Int64?

    public init(
        firstOffset: Int64,
        lastOffset: Int64,
        maxTimestamp: Int64,
        offsetOfMaxTimestamp: Int64,
        logAppendTime: Int64,
        logStartOffset: Int64,
        batchCount: Int,
        recordCount: Int,
        validBytes: Int,
        rolledSegmentBaseOffset: Int64? = nil
    ) {
        self.firstOffset = firstOffset
        self.lastOffset = lastOffset
        self.maxTimestamp = maxTimestamp
        self.offsetOfMaxTimestamp = offsetOfMaxTimestamp
        self.logAppendTime = logAppendTime
        self.logStartOffset = logStartOffset
        self.batchCount = batchCount
        self.recordCount = recordCount
        self.validBytes = validBytes
        self.rolledSegmentBaseOffset = rolledSegmentBaseOffset
    }
}

/// What a fetch read: the file region to send (nil when there is nothing at the offset yet) and where it starts.
public struct FetchDataInfo: Sendable {
    public var fetchOffset: Int64
    public var records: FileSlice?
    /// The base offset of the first batch in the region (at or below `fetchOffset`).
    public var firstBatchOffset: Int64?

    public static func empty(at offset: Int64) -> FetchDataInfo {
        FetchDataInfo(fetchOffset: offset, records: nil, firstBatchOffset: nil)
    }

    public var sizeInBytes: Int { records?.length ?? 0 }
}
