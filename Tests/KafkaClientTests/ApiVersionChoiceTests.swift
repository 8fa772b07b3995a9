import KafkaCore
import KafkaProtocol
import Testing

@testable import KafkaClient

/// The version a request goes out at: the highest both the broker and this client speak, and a clear
/// UnsupportedVersion when there is none (a broker too old, or one that only serves versions this client does not).
@Suite("API version choice")
struct ApiVersionChoiceTests {
    static func ranges(_ entries: [(ApiKey, ClosedRange<Int16>)]) -> ApiVersionRanges {
        ApiVersionRanges(
            ApiVersionsResponse(
                apiKeys: entries.map {
                    .init(apiKey: $0.0.rawValue, minVersion: $0.1.lowerBound, maxVersion: $0.1.upperBound)
                }
            )
        )
    }

    @Test func theHighestCommonVersionIsChosen() throws {
        let old = Self.ranges([(.produce, 0...3), (.metadata, 0...5)])
        #expect(try old.version(for: ProduceRequest.self) == 3)
        #expect(try old.version(for: MetadataRequest.self) == 5)
        // Fetch is spoken up to v12 (v13 needs topic ids), whatever the broker offers above.
        let new = Self.ranges([(.fetch, 4...16)])
        #expect(try new.version(for: FetchRequest.self) == 12)
    }

    @Test func noCommonVersionIsUnsupportedVersionNamingTheApi() {
        let missing = Self.ranges([(.produce, 0...9)])
        #expect(throws: UnsupportedVersion.self) { try missing.version(for: FetchRequest.self) }
        let onlyNewer = Self.ranges([(.fetch, 13...16)])
        #expect {
            try onlyNewer.version(for: FetchRequest.self)
        } throws: { error in
            let text = "\(error)"
            return text.contains("does not serve Fetch") && text.contains("it serves 13...16")
        }
    }
}
