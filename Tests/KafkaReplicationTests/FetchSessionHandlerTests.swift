import KafkaCore
import Testing

@testable import KafkaReplication

extension FetchSessionHandler {
    /// The fetch for `wanted` given by name (the fetcher gives an ordered list; the order does not matter here).
    mutating func build(_ wanted: [TopicPartition: Position]) -> Next {
        build(wanted.map { ($0.key, $0.value) })
    }
}

/// The follower's side of a fetch session: the first fetch is full, then only changed partitions are named and the
/// ones no longer fetched forgotten; refusals and failures start a new session.
@Suite("Fetch session handler")
struct FetchSessionHandlerTests {
    typealias Position = FetchSessionHandler.Position

    static let a0 = TopicPartition("a", 0)
    static let a1 = TopicPartition("a", 1)

    static func at(_ offset: Int64) -> Position {
        Position(offset: offset, logStartOffset: 0, leaderEpoch: 3, maxBytes: 1 << 20)
    }

    @Test func afterAFullFetchOnlyChangesAreNamed() {
        var handler = FetchSessionHandler()
        let first = handler.build([Self.a0: Self.at(0), Self.a1: Self.at(0)])
        #expect(first.sessionID == 0 && first.epoch == 0)
        #expect(first.partitions.count == 2)
        let accepted1 = handler.handle(first, errorCode: .none, responseSessionID: 77)
        #expect(accepted1)

        // Unchanged: nothing named, epoch 1 of session 77.
        let quiet = handler.build([Self.a0: Self.at(0), Self.a1: Self.at(0)])
        #expect(quiet.sessionID == 77 && quiet.epoch == 1)
        #expect(quiet.partitions.isEmpty && quiet.forgotten.isEmpty)
        let accepted2 = handler.handle(quiet, errorCode: .none, responseSessionID: 77)
        #expect(accepted2)

        // a-0 moved on, a-1 is no longer fetched (paused after an error).
        let moved = handler.build([Self.a0: Self.at(5)])
        #expect(moved.epoch == 2)
        #expect(moved.partitions == [Self.a0: Self.at(5)])
        #expect(moved.forgotten == [Self.a1])
        let accepted3 = handler.handle(moved, errorCode: .none, responseSessionID: 77)
        #expect(accepted3)

        // a-1 back: named again.
        let back = handler.build([Self.a0: Self.at(5), Self.a1: Self.at(0)])
        #expect(back.epoch == 3)
        #expect(back.partitions == [Self.a1: Self.at(0)])
    }

    /// The fetcher gives its partitions in its map's order; when that order changes (a partition came or went) the
    /// partitions are compared by name, and still only what moved is named.
    @Test func theSamePartitionsInAnotherOrderNameOnlyWhatMoved() {
        let a2 = TopicPartition("a", 2)
        var handler = FetchSessionHandler()
        let first = handler.build([(Self.a0, Self.at(0)), (Self.a1, Self.at(0)), (a2, Self.at(0))])
        _ = handler.handle(first, errorCode: .none, responseSessionID: 5)
        // Same order, a-1 moved: compared in place.
        let inPlace = handler.build([(Self.a0, Self.at(0)), (Self.a1, Self.at(4)), (a2, Self.at(0))])
        #expect(inPlace.partitions == [Self.a1: Self.at(4)] && inPlace.forgotten.isEmpty)
        _ = handler.handle(inPlace, errorCode: .none, responseSessionID: 5)
        // Another order, a-2 moved.
        let reordered = handler.build([(a2, Self.at(9)), (Self.a0, Self.at(0)), (Self.a1, Self.at(4))])
        #expect(reordered.partitions == [a2: Self.at(9)] && reordered.forgotten.isEmpty)
        _ = handler.handle(reordered, errorCode: .none, responseSessionID: 5)
        // One gone and one new, in the same count: a-0 forgotten, a-3 named.
        let a3 = TopicPartition("a", 3)
        let swapped = handler.build([(a2, Self.at(9)), (a3, Self.at(0)), (Self.a1, Self.at(4))])
        #expect(swapped.partitions == [a3: Self.at(0)])
        #expect(swapped.forgotten == [Self.a0])
    }

    @Test func aLeaderWithoutSessionsIsAlwaysFetchedInFull() {
        var handler = FetchSessionHandler()
        for _ in 0..<3 {
            let next = handler.build([Self.a0: Self.at(0)])
            #expect(next.epoch == 0 && next.sessionID == 0 && next.partitions.count == 1)
            let accepted4 = handler.handle(next, errorCode: .none, responseSessionID: 0)
            #expect(accepted4)
        }
    }

    @Test func refusalsAndFailuresStartANewSession() {
        var handler = FetchSessionHandler()
        let first = handler.build([Self.a0: Self.at(0)])
        _ = handler.handle(first, errorCode: .none, responseSessionID: 9)
        // A wrong epoch: the next fetch is full and names session 9 so the leader closes it.
        let refused = handler.build([Self.a0: Self.at(0)])
        let accepted5 = handler.handle(refused, errorCode: .invalidFetchSessionEpoch, responseSessionID: 0)
        #expect(!accepted5)
        let replacing = handler.build([Self.a0: Self.at(0)])
        #expect(replacing.epoch == 0 && replacing.sessionID == 9 && replacing.partitions.count == 1)
        _ = handler.handle(replacing, errorCode: .none, responseSessionID: 10)
        // An unknown session: start over without an id.
        let lost = handler.build([Self.a0: Self.at(0)])
        #expect(lost.sessionID == 10 && lost.epoch == 1)
        let accepted6 = handler.handle(lost, errorCode: .fetchSessionIDNotFound, responseSessionID: 0)
        #expect(!accepted6)
        let fresh = handler.build([Self.a0: Self.at(0)])
        #expect(fresh.epoch == 0 && fresh.sessionID == 0)
        _ = handler.handle(fresh, errorCode: .none, responseSessionID: 11)
        // A failed request (no answer): the next fetch is full.
        _ = handler.build([Self.a0: Self.at(0)])
        handler.failed()
        let retry = handler.build([Self.a0: Self.at(0)])
        #expect(retry.epoch == 0 && retry.sessionID == 11 && retry.partitions.count == 1)
    }
}
