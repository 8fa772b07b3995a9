/// Kafka's `Sanitizer`: how a user or client id becomes a znode name under `/config/users` and `/config/clients`
/// (and a metric tag). URL encoding (UTF-8; letters, digits and `.-_` kept, everything else `%XX`) with `*` as
/// `%2A` and a space as `%20`; `<default>` is written raw by the callers that mean the default entity.
public enum Sanitizer {
    public static func sanitize(_ name: String) -> String {
        var result = ""
        for byte in name.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: "_"):
                result.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                result += "%" + hex(byte)
            }
        }
        return result
    }

    /// The inverse (Java's `URLDecoder`: `%XX` decoded, `+` a space); nil for a malformed escape or non-UTF-8.
    public static func desanitize(_ name: String) -> String? {
        var bytes: [UInt8] = []
        var iterator = Array(name.utf8).makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next(), let low = iterator.next(),
                    let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(value)
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}
