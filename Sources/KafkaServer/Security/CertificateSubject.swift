import SwiftASN1
import X509

/// A client certificate's subject as Java's `X500Principal.getName(RFC2253)` prints it, which is what Kafka maps
/// into a principal name: most specific RDN first (`CN=alice,OU=eng,O=acme`), the keywords CN, C, L, ST, O, OU,
/// STREET, DC and UID, and every other attribute (emailAddress included) as its dotted OID and `#` with the hex of
/// its DER value. Read once per TLS connection.
enum CertificateSubject {
    static func rfc2253(derCertificate: [UInt8]) throws -> String {
        let certificate = try Certificate(derEncoded: derCertificate)
        return certificate.subject.reversed().map { rdn in
            rdn.map(attributeText).joined(separator: "+")
        }.joined(separator: ",")
    }

    private static let keywords: [ASN1ObjectIdentifier: String] = [
        .RDNAttributeType.commonName: "CN",
        .RDNAttributeType.countryName: "C",
        .RDNAttributeType.localityName: "L",
        .RDNAttributeType.stateOrProvinceName: "ST",
        .RDNAttributeType.organizationName: "O",
        .RDNAttributeType.organizationalUnitName: "OU",
        .RDNAttributeType.streetAddress: "STREET",
        .RDNAttributeType.domainComponent: "DC",
        [0, 9, 2342, 19_200_300, 100, 1, 1]: "UID",
    ]

    private static func attributeText(_ attribute: RelativeDistinguishedName.Attribute) -> String {
        if let keyword = keywords[attribute.type], let text = String(attribute.value) {
            return "\(keyword)=\(escape(text))"
        }
        var serializer = DER.Serializer()
        guard (try? serializer.serialize(ASN1Any(attribute.value))) != nil else {
            return "\(attribute.type)=#"
        }
        let hex = serializer.serializedBytes.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
        return "\(attribute.type)=#\(hex)"
    }

    /// RFC 2253's escapes: `, + " \ < > ;` anywhere, `#` or a space first, a space last.
    private static func escape(_ text: String) -> String {
        var result = ""
        for (index, character) in text.enumerated() {
            let first = index == 0
            let last = index == text.count - 1
            if ",+\"\\<>;".contains(character) || (first && (character == "#" || character == " "))
                || (last && character == " ")
            {
                result.append("\\")
            }
            result.append(character)
        }
        return result
    }
}
