import KafkaClient
import KafkaCore

/// How much one search may still read.
struct ScanBudget {
    var records: Int
    var until: ContinuousClock.Instant
    var scanned = 0

    var exhausted: Bool { scanned >= records || ContinuousClock.now >= until }
}

/// One message search over several partitions read at once by one assigned consumer (no group). In rounds: each
/// partition still searching has a window of offsets; every window is read in the same polls (a partition is
/// paused when its window is done), then the next windows are set. Oldest first: one window per partition, from
/// the start to the log end, closed early at `limit` matches. Newest first: windows walk back from the start (or
/// the log end), `limit` records wide (1,000 with a filter), until `limit` matches or the log start. Owned by the
/// request that made it.
struct MessageScan {
    let consumer: KafkaConsumer
    let query: MessageQuery
    var budget: ScanBudget

    private struct Cursor {
        var window: Range<Int64>
        var floor: Int64
        var matches: [ConsumerRecord] = []
        var chunk: [ConsumerRecord] = []
        var done = false
    }

    /// The matches of every partition (up to `limit` each), unsorted, as records (rendered by the caller, only
    /// those it shows).
    mutating func run(
        marks: [TopicPartition: (start: Int64, end: Int64)],
        starts: [TopicPartition: Int64]
    ) async throws -> [ConsumerRecord] {
        var cursors: [TopicPartition: Cursor] = [:]
        let width = Int64(query.isFiltered ? 1_000 : query.limit)
        for (partition, mark) in marks where mark.end > mark.start {
            let from = starts[partition] ?? query.offset
            if query.newestFirst {
                let high = min(max(from.map { $0 + 1 } ?? mark.end, mark.start), mark.end)
                cursors[partition] = Cursor(window: max(mark.start, high - width)..<high, floor: mark.start)
            } else {
                let low = min(max(from ?? mark.start, mark.start), mark.end)
                cursors[partition] = Cursor(window: low..<mark.end, floor: mark.start)
            }
        }
        try await consumer.assign(Array(cursors.keys))
        while !budget.exhausted {
            let active = cursors.filter { !$0.value.done && !$0.value.window.isEmpty }.map(\.key)
            guard !active.isEmpty else { break }
            try await readWindows(active, &cursors)
            for partition in active {
                var cursor = cursors[partition]!
                if query.newestFirst {
                    cursor.matches = cursor.chunk.suffix(query.limit - cursor.matches.count) + cursor.matches
                    cursor.chunk = []
                    let high = cursor.window.lowerBound
                    cursor.window = max(cursor.floor, high - width)..<high
                    cursor.done = cursor.matches.count >= query.limit || cursor.window.isEmpty
                } else {
                    cursor.matches = Array(cursor.chunk.prefix(query.limit))
                    cursor.done = true
                }
                cursors[partition] = cursor
            }
        }
        return cursors.values.flatMap(\.matches)
    }

    /// Reads every active partition's window; matches go to the cursor's chunk.
    private mutating func readWindows(
        _ active: [TopicPartition],
        _ cursors: inout [TopicPartition: Cursor]
    ) async throws {
        let all = Array(cursors.keys)
        try await consumer.pause(all)
        for partition in active {
            try await consumer.seek(partition, to: cursors[partition]!.window.lowerBound)
        }
        try await consumer.resume(active)
        var open = Set(active)
        var idlePolls = 0
        while !open.isEmpty && !budget.exhausted {
            let records = try await consumer.poll(timeout: .milliseconds(100))
            var finished: [TopicPartition] = []
            for record in records where open.contains(record.topicPartition) {
                let partition = record.topicPartition
                guard record.offset < cursors[partition]!.window.upperBound else {
                    finished.append(partition)
                    open.remove(partition)
                    continue
                }
                budget.scanned += 1
                if ConsoleCluster.matches(record, query) {
                    cursors[partition]!.chunk.append(record)
                }
                let full = !query.newestFirst && cursors[partition]!.chunk.count >= query.limit
                if full || record.offset + 1 >= cursors[partition]!.window.upperBound {
                    finished.append(partition)
                    open.remove(partition)
                }
            }
            if records.isEmpty {
                // Compacted gaps and transaction markers end a window without a record at its last offset.
                for partition in open
                where try await consumer.position(partition) >= cursors[partition]!.window.upperBound {
                    finished.append(partition)
                    open.remove(partition)
                }
                idlePolls += 1
                if idlePolls >= 20 { break }
            } else {
                idlePolls = 0
            }
            if !finished.isEmpty { try await consumer.pause(finished) }
        }
    }
}
