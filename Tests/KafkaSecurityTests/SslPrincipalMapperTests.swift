import Testing

@testable import KafkaSecurity

/// `ssl.principal.mapping.rules` with the rules and names of Kafka's own `SslPrincipalMapperTest`.
@Suite struct SslPrincipalMapperTests {
    @Test func kafkasMapperExamples() throws {
        let mapper = try SslPrincipalMapper(
            rules: "RULE:^CN=(.*?),OU=ServiceUsers.*$/$1/L, "
                + "RULE:^CN=(.*?),OU=(.*?),O=(.*?),L=(.*?),ST=(.*?),C=(.*?)$/$1@$2/L, "
                + "RULE:^cn=(.*?),ou=(.*?),dc=(.*?),dc=(.*?)$/$1@$2/U, "
                + "RULE:^.*[Cc][Nn]=([a-zA-Z0-9.]*).*$/$1/U, DEFAULT"
        )
        #expect(mapper.name(for: "CN=Duke,OU=ServiceUsers,O=Org,C=US") == "duke")
        #expect(mapper.name(for: "CN=Duke,OU=SME,O=mycp,L=Fulton,ST=MD,C=US") == "duke@sme")
        #expect(mapper.name(for: "cn=duke,ou=javasoft,dc=mycp,dc=com") == "DUKE@JAVASOFT")
        #expect(mapper.name(for: "cN=duke,OU=JavaSoft,O=Sun Microsystems") == "DUKE")
        #expect(mapper.name(for: "OU=JavaSoft,O=Sun Microsystems,C=US") == "OU=JavaSoft,O=Sun Microsystems,C=US")
    }

    @Test func escapedCommasInNames() throws {
        let mapper = try SslPrincipalMapper(rules: "RULE:^CN=((\\\\, *|\\w)+)(,.*|$)/$1/,DEFAULT")
        #expect(mapper.name(for: "CN=Tkac\\, Adam,OU=ITZ,DC=geodis,DC=cz") == "Tkac\\, Adam")
    }

    @Test func defaultKeepsTheNameAndNoMatchingRuleFails() throws {
        #expect(try SslPrincipalMapper().name(for: "CN=alice,OU=eng,O=acme") == "CN=alice,OU=eng,O=acme")
        let strict = try SslPrincipalMapper(rules: "RULE:^CN=([a-z]+),O=acme$/$1/")
        #expect(strict.name(for: "CN=alice,O=acme") == "alice")
        #expect(strict.name(for: "CN=alice,O=other") == nil)
    }

    @Test func invalidRulesAreRefused() {
        for rules in ["", "RULE:abc", "RULE:a/b/X", "NOTARULE", "RULE:(/x/"] {
            #expect(throws: SslPrincipalMapper.InvalidRules.self, "\(rules)") { try SslPrincipalMapper(rules: rules) }
        }
    }
}
