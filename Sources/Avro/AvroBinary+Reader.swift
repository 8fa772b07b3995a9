extension AvroBinary {
    /// Reads one datum from a byte slice, front to back; every count and length is checked against the bytes left
    /// before anything is allocated for it. Made and used by `AvroBinary.read` only.
    struct Reader {
        let bytes: ArraySlice<UInt8>
        let document: AvroSchemaDocument
        var position: Int

        init(bytes: ArraySlice<UInt8>, document: AvroSchemaDocument) {
            self.bytes = bytes
            self.document = document
            self.position = bytes.startIndex
        }

        var remaining: Int { bytes.endIndex - position }

        mutating func value(_ schema: AvroSchema, depth: Int) throws(AvroDataError) -> AvroValue {
            guard depth < AvroBinary.maximumDepth else {
                throw AvroDataError("the datum nests deeper than \(AvroBinary.maximumDepth) levels")
            }
            switch document.resolve(schema) {
            case .primitive(let primitive, _): return try self.primitive(primitive)
            case .record(_, let fields, _):
                var values: [AvroValue] = []
                values.reserveCapacity(fields.count)
                for field in fields { values.append(try value(field.type, depth: depth + 1)) }
                return .record(values)
            case .enumeration(let named, let symbols, _):
                let index = try long()
                guard index >= 0, index < symbols.count else {
                    throw AvroDataError("enum \(named.name) has no symbol \(index)")
                }
                return .enumeration(symbols[Int(index)])
            case .fixed(_, let size): return .fixed(try take(size))
            case .array(let items, _):
                var values: [AvroValue] = []
                try blocks { (reader: inout Reader) throws(AvroDataError) in
                    values.append(try reader.value(items, depth: depth + 1))
                }
                return .array(values)
            case .map(let valueSchema, _):
                var entries: [String: AvroValue] = [:]
                try blocks { (reader: inout Reader) throws(AvroDataError) in
                    let key = try reader.string()
                    entries[key] = try reader.value(valueSchema, depth: depth + 1)
                }
                return .map(entries)
            case .union(let branches):
                let branch = try long()
                guard branch >= 0, branch < branches.count else {
                    throw AvroDataError("the union has no branch \(branch)")
                }
                return .union(branch: Int(branch), try value(branches[Int(branch)], depth: depth + 1))
            case .reference(let name):
                throw AvroDataError("the schema refers to \(name), which it does not define")
            }
        }

        mutating func primitive(_ primitive: AvroPrimitive) throws(AvroDataError) -> AvroValue {
            switch primitive {
            case .null: return .null
            case .boolean:
                switch try take(1)[0] {
                case 0: return .boolean(false)
                case 1: return .boolean(true)
                case let other: throw AvroDataError("\(other) is not a boolean")
                }
            case .int:
                let number = try long()
                guard let int = Int32(exactly: number) else { throw AvroDataError("\(number) is out of int's range") }
                return .int(int)
            case .long: return .long(try long())
            case .float: return .float(Float(bitPattern: try littleEndian(UInt32.self)))
            case .double: return .double(Double(bitPattern: try littleEndian(UInt64.self)))
            case .bytes: return .bytes(try take(try length()))
            case .string: return .string(try string())
            }
        }

        /// Array and map blocks: `count` items each (a negative count is followed by the block's byte size), until
        /// a zero count. A count above the bytes left is refused up front, so a few bytes cannot ask for billions of
        /// items; the price is that a block of more zero-byte items (nulls, empty records) than its bytes is refused.
        mutating func blocks(_ item: (inout Reader) throws(AvroDataError) -> Void) throws(AvroDataError) {
            while true {
                var count = try long()
                if count == 0 { return }
                if count < 0 {
                    guard count != .min else { throw AvroDataError("a block count of \(count)") }
                    count = -count
                    _ = try length()
                }
                guard count <= remaining else {
                    throw AvroDataError("a block of \(count) items with \(remaining) bytes left")
                }
                for _ in 0..<count { try item(&self) }
            }
        }

        mutating func string() throws(AvroDataError) -> String {
            let utf8 = try take(try length())
            guard let text = String(validating: utf8, as: UTF8.self) else {
                throw AvroDataError("a string that is not UTF-8")
            }
            return text
        }

        mutating func length() throws(AvroDataError) -> Int {
            let length = try long()
            guard length >= 0, length <= remaining else {
                throw AvroDataError("a length of \(length) with \(remaining) bytes left")
            }
            return Int(length)
        }

        /// A zigzag varint of at most ten bytes.
        mutating func long() throws(AvroDataError) -> Int64 {
            var raw: UInt64 = 0
            var shift: UInt64 = 0
            while true {
                guard position < bytes.endIndex else { throw AvroDataError("the bytes end inside a number") }
                let byte = bytes[position]
                position += 1
                raw |= UInt64(byte & 0x7F) << shift
                if byte & 0x80 == 0 { break }
                shift += 7
                guard shift < 64 else { throw AvroDataError("a varint longer than ten bytes") }
            }
            return Int64(bitPattern: (raw >> 1) ^ (0 &- (raw & 1)))
        }

        mutating func littleEndian<T: FixedWidthInteger>(_: T.Type) throws(AvroDataError) -> T {
            var number: T = 0
            for (index, byte) in try take(MemoryLayout<T>.size).enumerated() { number |= T(byte) << (index * 8) }
            return number
        }

        mutating func take(_ count: Int) throws(AvroDataError) -> [UInt8] {
            guard count <= remaining else { throw AvroDataError("\(count) bytes needed, \(remaining) left") }
            defer { position += count }
            return Array(bytes[position..<position + count])
        }
    }
}
