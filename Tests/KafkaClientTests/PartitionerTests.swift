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
        let partitioner = Partitioner()
        for index in 0..<100 {
            let key = Array("key-\(index)".utf8)
            let chosen = partitioner.partition(topic: "t", key: key, count: 7)
            #expect(chosen == (Partitioner.murmur2(key) & 0x7fff_ffff) % 7)
        }
    }

    @Test func keylessRecordsStickToOnePartitionUntilItsBatchCloses() {
        let partitioner = Partitioner()
        let first = partitioner.partition(topic: "t", key: nil, count: 4)
        for _ in 0..<50 { #expect(partitioner.partition(topic: "t", key: nil, count: 4) == first) }
        partitioner.batchClosed(topic: "t", partition: first, count: 4)
        let second = partitioner.partition(topic: "t", key: nil, count: 4)
        #expect(second != first)
        #expect((0..<4).contains(second))
        // Another topic has its own sticky partition; a one-partition topic always gets 0.
        #expect(partitioner.partition(topic: "single", key: nil, count: 1) == 0)
        partitioner.batchClosed(topic: "single", partition: 0, count: 1)
        #expect(partitioner.partition(topic: "single", key: nil, count: 1) == 0)
    }
}
