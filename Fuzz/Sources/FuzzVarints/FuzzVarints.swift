import FuzzSupport
import KafkaProtocol
import NIOCore

/// libFuzzer target: the protocol's variable-length integers (unsigned varint, zigzag varint and varlong) and the
/// compact strings whose lengths are built on them.
///
/// Input: bytes read as a sequence of the four kinds in turn until a read fails, which must be a `ProtocolError`.
/// Every value read must encode and read back to itself, and every read must consume bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzVarints(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput.buffer(data, size)
    var kind = 0
    while input.readableBytes > 0 {
        let before = input.readableBytes
        var encoded = ByteBuffer()
        do {
            switch kind % 4 {
            case 0:
                let value = try input.readUnsignedVarint()
                encoded.writeUnsignedVarint(value)
                let back = try encoded.readUnsignedVarint()
                precondition(back == value, "unsigned varint \(value) reads back as \(back)")
            case 1:
                let value = try input.readVarint()
                encoded.writeVarint(value)
                let back = try encoded.readVarint()
                precondition(back == value, "varint \(value) reads back as \(back)")
            case 2:
                let value = try input.readVarlong()
                encoded.writeVarlong(value)
                let back = try encoded.readVarlong()
                precondition(back == value, "varlong \(value) reads back as \(back)")
            default:
                if let string = try input.readKafkaNullableString(compact: true) {
                    encoded.writeKafkaString(string, compact: true)
                    let back = try encoded.readKafkaString(compact: true)
                    precondition(back == string, "a compact string does not read back")
                }
            }
        } catch {
            return 0
        }
        precondition(encoded.readableBytes == 0, "a round trip left bytes behind")
        precondition(input.readableBytes < before, "a read consumed nothing")
        kind += 1
    }
    return 0
}
