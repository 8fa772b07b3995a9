import Testing

@testable import KafkaSecurity

@Suite struct PlainAndJaasTests {
    static let jaas = """
        org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="admin-secret"
          user_admin="admin-secret" user_alice="alice \\"quoted\\" secret";
        """

    @Test func jaasConfigIsReadAsKafkaReadsIt() throws {
        let config = try JaasConfig(parsing: Self.jaas)
        #expect(config.loginModule == "org.apache.kafka.common.security.plain.PlainLoginModule")
        #expect(config.controlFlag == "required")
        #expect(config.options["username"] == "admin")
        #expect(config.plainUsers == ["admin": "admin-secret", "alice": "alice \"quoted\" secret"])
        let scram = try JaasConfig(
            parsing: "org.apache.kafka.common.security.scram.ScramLoginModule required username=bob password=pw;"
        )
        #expect(scram.options == ["username": "bob", "password": "pw"])
        for bad in [
            "", "Module", "Module required username=\"a\"", "Module maybe;", "Module required a=\"b\"; Other required;",
            "Module required key=;",
        ] {
            #expect(throws: JaasConfig.ParseError.self, "\(bad)") { try JaasConfig(parsing: bad) }
        }
    }

    @Test func plainAuthenticatesJaasUsers() throws {
        var server = PlainServer(users: try JaasConfig(parsing: Self.jaas).plainUsers)
        #expect(
            try server.evaluate(Array("\0admin\0admin-secret".utf8)) == .complete([], principal: .init(name: "admin"))
        )
        var withAuthzid = PlainServer(users: ["admin": "admin-secret"])
        #expect(
            try withAuthzid.evaluate(Array("admin\0admin\0admin-secret".utf8))
                == .complete([], principal: .init(name: "admin"))
        )
        #expect(
            PlainClient(username: "admin", password: "admin-secret").initialResponse()
                == Array("\0admin\0admin-secret".utf8)
        )
    }

    @Test func plainFailuresCarryKafkasMessages() {
        let users = ["admin": "admin-secret"]
        let cases: [(String, String)] = [
            ("\0admin\0wrong", "Authentication failed: Invalid username or password"),
            ("\0nobody\0admin-secret", "Authentication failed: Invalid username or password"),
            (
                "alice\0admin\0admin-secret",
                "Authentication failed: Client requested an authorization id that is different from username"
            ),
            ("\0admin", SaslAuthenticationError.genericFailure(mechanism: "PLAIN").message),
            ("\0\0admin-secret", SaslAuthenticationError.genericFailure(mechanism: "PLAIN").message),
            ("\0admin\0", SaslAuthenticationError.genericFailure(mechanism: "PLAIN").message),
            ("\0admin\0admin-secret\0x", SaslAuthenticationError.genericFailure(mechanism: "PLAIN").message),
        ]
        for (token, message) in cases {
            var server = PlainServer(users: users)
            #expect(throws: SaslAuthenticationError(message), "\(token.debugDescription)") {
                try server.evaluate(Array(token.utf8))
            }
        }
    }

    @Test func principalsParseAndPrint() {
        #expect(KafkaPrincipal(parsing: "User:CN=alice,OU=eng") == KafkaPrincipal(name: "CN=alice,OU=eng"))
        #expect(KafkaPrincipal.anonymous.description == "User:ANONYMOUS")
        #expect(KafkaPrincipal(parsing: "alice") == nil)
    }
}
