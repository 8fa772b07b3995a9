import KafkaClient
import Testing

@Suite("Broker address lists")
struct BrokerAddressTests {
    @Test func parsesHostPortListsWithSpacesAndIPv6() throws {
        let parsed = try BrokerAddress.parseList("a:9092, 127.0.0.1:19093,[::1]:9094")
        #expect(
            parsed == [
                BrokerAddress(host: "a", port: 9092), BrokerAddress(host: "127.0.0.1", port: 19093),
                BrokerAddress(host: "::1", port: 9094),
            ]
        )
    }

    @Test(arguments: ["", "host", "host:", ":9092", "host:port", "host:70000", "a:1,b"])
    func refusesWhatIsNotHostPort(_ text: String) {
        #expect(throws: BrokerAddress.InvalidList.self) { try BrokerAddress.parseList(text) }
    }

    @Test func namesTheBadEntry() {
        let error = #expect(throws: BrokerAddress.InvalidList.self) { try BrokerAddress.parseList("a:1, b ") }
        #expect(error?.entry == "b")
        #expect(error?.description == "'b' is not host:port")
    }
}
