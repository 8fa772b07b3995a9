import Testing

@testable import KafkaConsole

/// `console.properties` keys, users with hashed passwords, form decoding, and every template rendering.
@Suite struct ConsoleConfigTests {
    // SHA-256("secret"), as `printf secret | sha256sum` prints it.
    let secretHash = "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"

    @Test func keysAndDefaults() throws {
        let config = try ConsoleConfig.parse(
            properties: """
                bootstrap.servers=PLAINTEXT://127.0.0.1:9092, 127.0.0.1:9093
                listeners=http://127.0.0.1:9021
                security.protocol=SASL_PLAINTEXT
                sasl.mechanism=PLAIN
                """,
            overrides: [("console.read.only", "false"), ("console.users", "ann:admin:\(secretHash)")]
        )
        #expect(config.bootstrapServers == ["127.0.0.1:9092", "127.0.0.1:9093"])
        #expect(try config.listener() == ("127.0.0.1", 9021))
        #expect(config.readOnly == false)
        #expect(config.users.map(\.name) == ["ann"] && config.users[0].role == .admin)
        #expect(config.kafkaProperties["security.protocol"] == "SASL_PLAINTEXT")
        #expect(config.kafkaProperties["bootstrap.servers"] == "127.0.0.1:9092,127.0.0.1:9093")
        #expect(ConsoleConfig().readOnly, "read-only unless told otherwise")
    }

    @Test func refusals() {
        #expect(throws: ConsoleConfigError.self) { try ConsoleConfig.parse(properties: "listeners=http://x:1") }
        #expect(throws: ConsoleConfigError.self) {
            try ConsoleConfig.parse(properties: "bootstrap.servers=a:1\nconsole.readonly=true")
        }
        #expect(throws: ConsoleConfigError.self) { try ConsoleUser("ann:root:\(secretHash)") }
        #expect(throws: ConsoleConfigError.self) { try ConsoleUser("ann:admin:secret") }
    }

    @Test func passwordsAreComparedByHash() throws {
        let user = try ConsoleUser("ann:viewer:\(secretHash)")
        #expect(user.accepts("secret"))
        #expect(!user.accepts("Secret"))
        #expect(!user.accepts(""))
    }

    @Test func sessionsLogInAndOut() async throws {
        let sessions = ConsoleSessions(users: [try ConsoleUser("ann:operator:\(secretHash)")], timeoutMs: 60_000)
        let anonymous = await sessions.session(nil)
        #expect(anonymous.user == nil && anonymous.role == nil)
        #expect(await sessions.login("ann", "wrong", replacing: anonymous.id) == nil)
        let session = try #require(await sessions.login("ann", "secret", replacing: anonymous.id))
        #expect(session.id != anonymous.id && session.csrf != anonymous.csrf && session.role == .operator)
        #expect(await sessions.session(session.id).user == "ann")
        #expect(await sessions.session(anonymous.id).id != anonymous.id, "the pre-login session is gone")
        await sessions.logout(session.id)
        #expect(await sessions.session(session.id).user == nil)
    }

    @Test func formsDecode() {
        #expect(ConsoleRequest.decodeForm("a=1+2&b=%2Fx%3D&c") == ["a": "1 2", "b": "/x=", "c": ""])
        #expect(ConsoleRequest.encode("a b/c") == "a%20b%2Fc")
    }

    @Test func templatesRenderEscaped() throws {
        let renderer = try ConsoleRenderer()
        let page = TopicsPage(
            query: "<x>",
            total: 1,
            topics: [
                .init(
                    name: "orders",
                    isInternal: false,
                    partitions: 3,
                    replicationFactor: 3,
                    underReplicated: 1,
                    offline: 0,
                    messages: 42,
                    sizeBytes: 2048,
                    size: "2.0 KiB"
                )
            ]
        )
        let layout = LayoutView(
            title: "Topics",
            body: "",
            csrf: "token",
            readOnly: false,
            zookeeper: false
        )
        let admin = renderer.html(
            "topics",
            PageView(page: page, canOperate: true, canAdmin: true, csrf: "t0k"),
            layout: layout
        )
        #expect(admin.contains(#"value="&lt;x&gt;""#))
        #expect(admin.contains(#"data-testid="topic-messages-orders">42<"#))
        #expect(admin.contains(#"class="num warn" data-testid="topic-urp-orders""#))
        #expect(admin.contains(#"name="csrf" value="t0k""#))
        let viewer = renderer.html(
            "topics",
            PageView(page: page, canOperate: false, canAdmin: false, csrf: "t0k"),
            layout: layout
        )
        #expect(!viewer.contains("<form method=\"post\""))
        #expect(ConsoleRenderer.json(page).contains(#""name":"orders""#))
    }
}
