import Testing

@testable import KafkaClient

/// Java's default partitioner: Kafka's own murmur2 test vectors (`UtilsTest.testMurmur2`), and the sticky choice
/// for keyless records.
@Suite("Partitioner")
struct PartitionerTests {
    @Test func murmur2MatchesKafkasTestVectors() {
        let cases: [(String, Int32)] = [
            ("21", -973_932_308),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            ("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8", -58_897_971),
            ("abc", 479_470_107),
        ]
        for (text, expected) in cases {
            #expect(Partitioner.murmur2(Array(text.utf8)) == expected, "\(text)")
        }
    }

    @Test func aKeyGoesToPositiveMurmur2ModuloThePartitions() {
        // "foobar": -790332482 & 0x7fffffff = 1357151166; 1357151166 % 12 = 6.
        #expect(Partitioner.partition(forKey: Array("foobar".utf8), count: 12) == 1_357_151_166 % 12)
        let route = TopicRoute(topic: "t", partitionCount: 7)
        for index in 0..<100 {
            let key = Array("key-\(index)".utf8)
            let chosen = Partitioner.partition(of: route, key: key)
            #expect(chosen == (Partitioner.murmur2(key) & 0x7fff_ffff) % 7)
        }
    }

    @Test func keylessRecordsStickToOnePartitionUntilItsBatchCloses() {
        let route = TopicRoute(topic: "t", partitionCount: 4)
        let first = Partitioner.partition(of: route, key: nil)
        for _ in 0..<50 { #expect(Partitioner.partition(of: route, key: nil) == first) }
        // A batch of another partition closing changes nothing.
        Partitioner.batchClosed(of: route, partition: (first + 1) % 4)
        #expect(Partitioner.partition(of: route, key: nil) == first)
        Partitioner.batchClosed(of: route, partition: first)
        let second = Partitioner.partition(of: route, key: nil)
        #expect(second != first)
        #expect((0..<4).contains(second))
        // Another topic has its own sticky partition; a one-partition topic always gets 0.
        let single = TopicRoute(topic: "single", partitionCount: 1)
        #expect(Partitioner.partition(of: single, key: nil) == 0)
        Partitioner.batchClosed(of: single, partition: 0)
        #expect(Partitioner.partition(of: single, key: nil) == 0)
    }
}
