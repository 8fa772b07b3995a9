import KafkaCore
import KafkaProtocol
import KafkaTestSupport
import NIOCore
import Testing

@testable import KafkaStorage

@Suite("RecentBatches: offset lookups near the log end without reading the file")
struct RecentBatchesTests {
    private func entry(_ base: Int64, _ position: Int64, records: Int32, size: Int32) -> RecentBatches.Entry {
        .init(baseOffset: base, position: position, lastOffsetDelta: records - 1, size: size)
    }

    @Test func answersLikeAScanAndSaysWhenItCannot() {
        var recent = RecentBatches()
        // Three batches at 100 (offsets 10-12), 200 (13-14), 250 (15-19); the segment ends at 400.
        recent.append([entry(10, 0, records: 3, size: 100), entry(13, 100, records: 2, size: 50)], at: 100)
        recent.append([entry(15, 0, records: 5, size: 150)], at: 250)
        #expect(recent.lookup(11, from: 100, end: 400) == .found(position: 100, baseOffset: 10, size: 100))
        #expect(recent.lookup(12, from: 100, end: 400) == .found(position: 100, baseOffset: 10, size: 100))
        #expect(recent.lookup(13, from: 100, end: 400) == .found(position: 200, baseOffset: 13, size: 50))
        #expect(recent.lookup(19, from: 200, end: 400) == .found(position: 250, baseOffset: 15, size: 150))
        #expect(recent.lookup(20, from: 100, end: 400) == .pastEnd)
        #expect(recent.lookup(5, from: 0, end: 400) == .notKept)  // the scan would start before the first kept
        #expect(recent.lookup(11, from: 100, end: 500) == .notKept)  // the file has more than was recorded
        recent.indexed(at: 200)
        #expect(recent.entries.map(\.baseOffset) == [13, 15])
        #expect(recent.lookup(11, from: 100, end: 400) == .notKept)
        // A write that does not follow the last kept batch starts over.
        recent.append([entry(30, 0, records: 1, size: 70)], at: 1000)
        #expect(recent.entries.map(\.baseOffset) == [30])
        #expect(recent.lookup(30, from: 1000, end: 1070) == .found(position: 1000, baseOffset: 30, size: 70))
    }

    /// Every read from every offset and limit gives the same bytes from a log that remembers its recent batches as
    /// from the same log reopened (nothing remembered: every lookup reads the file), across segment rolls, index
    /// entries, a truncation and later appends.
    @Test func aLogReadsTheSameWithAndWithoutThem() throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let config = LogConfig.small(segmentBytes: 2048, indexIntervalBytes: 512)
        var log = try openLog(directory.path, config: config)
        var next = 0
        for round in 0..<60 {
            let count = 1 + round % 4
            try log.append(makeBatch(count: count, first: next), origin: .client, leaderEpoch: 0)
            next += count
        }
        try log.truncate(to: 101)
        next = 101
        for round in 0..<20 {
            let count = 1 + round % 3
            try log.append(makeBatch(count: count, first: next), origin: .client, leaderEpoch: 1)
            next += count
        }
        #expect(log.segmentCount > 3)
        func reads(_ log: Log) throws -> [String] {
            let end = log.logEndOffset
            var answers: [String] = []
            for offset in log.logStartOffset...end {
                for limit in [offset, offset + 1, offset + 3, end] where limit <= end {
                    let data = try log.read(from: offset, maxBytes: 300, upTo: limit)
                    let slice = data.records.map { "\($0.position)+\($0.length)" } ?? "none"
                    answers.append("\(offset)<\(limit): \(slice) first \(data.firstBatchOffset ?? -1)")
                }
            }
            return answers
        }
        let remembered = try reads(log)
        log.close()
        log = try openLog(directory.path, config: config)
        #expect(try reads(log) == remembered)
        #expect(remembered.filter { !$0.hasSuffix("none first -1") }.count > remembered.count / 2)
        log.close()
    }
}
