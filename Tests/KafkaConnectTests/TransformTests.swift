import KafkaConnect
import Testing

/// The single message transforms on records with and without schemas, as Kafka 2.8's transforms behave (their
/// settings, results and refusals), and the chain with predicates.
@Suite struct TransformTests {
    static let row = ConnectSchema.struct(name: "Row", [("id", .int64), ("name", .string), ("email", .optionalString)])

    static func rowValue(id: Int64 = 42, name: String = "ann", email: String? = "a@x") throws -> ConnectValue {
        var value = ConnectStruct(schema: row)
        try value.set("id", .int64(id))
        try value.set("name", .string(name))
        try value.set("email", email.map { .string($0) })
        return .struct(value)
    }

    func sink(_ schema: ConnectSchema?, _ value: ConnectValue?, topic: String = "orders") -> SinkRecord {
        SinkRecord(
            topic: topic,
            kafkaPartition: 3,
            kafkaOffset: 99,
            valueSchema: schema,
            value: value,
            timestamp: 1_600_000_000_000
        )
    }

    func make(_ name: String, _ config: [String: String]) throws -> any Transformation {
        try Transforms.make("org.apache.kafka.connect.transforms.\(name)", config: config)
    }

    @Test func insertFieldAddsMetadataToStructsAndMaps() throws {
        let insert = try make(
            "InsertField$Value",
            [
                "topic.field": "t!", "partition.field": "p", "offset.field": "o", "timestamp.field": "ts",
                "static.field": "origin", "static.value": "db1",
            ]
        )
        let out = try #require(try insert.apply(sink(Self.row, try Self.rowValue())))
        let schema = try #require(out.valueSchema)
        #expect(schema.fields.map(\.name) == ["id", "name", "email", "t", "p", "o", "ts", "origin"])
        #expect(schema.field("t")?.schema.isOptional == false && schema.field("p")?.schema.isOptional == true)
        #expect(schema.field("ts")?.schema.name == ConnectSchema.timestampName)
        #expect(out.value?["t"] == .string("orders") && out.value?["p"] == .int32(3) && out.value?["o"] == .int64(99))
        #expect(out.value?["ts"] == .int64(1_600_000_000_000) && out.value?["origin"] == .string("db1"))
        #expect(out.value?["name"] == .string("ann"))
        let map = try #require(try insert.apply(sink(nil, .stringMap(["a": .int64(1)]))))
        #expect(
            map.value
                == .stringMap([
                    "a": .int64(1), "t": .string("orders"), "p": .int32(3), "o": .int64(99),
                    "ts": .int64(1_600_000_000_000), "origin": .string("db1"),
                ])
        )
        #expect(try insert.apply(sink(Self.row, nil))?.value == nil)  // a tombstone passes
        #expect(throws: ConnectDataError.self) { try insert.apply(sink(nil, .string("line"))) }
        let source = SourceRecord(
            sourcePartition: nil,
            sourceOffset: nil,
            topic: "t",
            valueSchema: nil,
            value: .map([])
        )
        #expect(throws: ConnectDataError.self) { try insert.apply(source) }  // offsets exist only for sink records
        #expect(throws: ConnectConfigError.self) { try make("InsertField$Value", [:]) }
    }

    @Test func replaceFieldFiltersAndRenames() throws {
        let replace = try make("ReplaceField$Value", ["exclude": "email", "renames": "id:user_id"])
        let out = try #require(try replace.apply(sink(Self.row, try Self.rowValue())))
        #expect(out.valueSchema?.fields.map(\.name) == ["user_id", "name"])
        #expect(out.valueSchema?.name == "Row")
        #expect(out.value?["user_id"] == .int64(42))
        let whitelist = try make("ReplaceField$Value", ["whitelist": "name"])
        #expect(
            try whitelist.apply(sink(nil, .stringMap(["id": .int64(1), "name": .string("b")])))?.value
                == .stringMap(["name": .string("b")])
        )
        #expect(throws: ConnectConfigError.self) { try make("ReplaceField$Value", ["renames": "a"]) }
    }

    @Test func maskFieldEmptiesOrReplaces() throws {
        let mask = try make("MaskField$Value", ["fields": "id,name"])
        let out = try #require(try mask.apply(sink(Self.row, try Self.rowValue())))
        #expect(
            out.value?["id"] == .int64(0) && out.value?["name"] == .string("") && out.value?["email"] == .string("a@x")
        )
        let replaced = try make("MaskField$Value", ["fields": "name", "replacement": "***"])
        #expect(try replaced.apply(sink(Self.row, try Self.rowValue()))?.value?["name"] == .string("***"))
        let bad = try make("MaskField$Value", ["fields": "id", "replacement": "x"])
        #expect(throws: ConnectDataError.self) { try bad.apply(sink(Self.row, try Self.rowValue())) }
    }

    @Test func extractHoistAndValueToKey() throws {
        let extract = try make("ExtractField$Value", ["field": "name"])
        let extracted = try #require(try extract.apply(sink(Self.row, try Self.rowValue())))
        #expect(extracted.valueSchema == .string && extracted.value == .string("ann"))
        let hoist = try make("HoistField$Value", ["field": "line"])
        let hoisted = try #require(try hoist.apply(sink(.string, .string("hello"))))
        #expect(hoisted.valueSchema?.fields.map(\.name) == ["line"] && hoisted.value?["line"] == .string("hello"))
        #expect(try hoist.apply(sink(nil, .int64(5)))?.value == .stringMap(["line": .int64(5)]))
        let toKey = try make("ValueToKey", ["fields": "id"])
        let keyed = try #require(try toKey.apply(sink(Self.row, try Self.rowValue())))
        #expect(keyed.keySchema?.fields.map(\.name) == ["id"] && keyed.key?["id"] == .int64(42))
        #expect(throws: ConnectDataError.self) {
            try make("ValueToKey", ["fields": "nope"]).apply(sink(Self.row, try Self.rowValue()))
        }
        let keyExtract = try make("ExtractField$Key", ["field": "id"])
        #expect(try keyExtract.apply(keyed)?.key == .int64(42))
    }

    @Test func castConvertsAsJavaDoes() throws {
        let cast = try make("Cast$Value", ["spec": "id:int32,name:string"])
        let out = try #require(try cast.apply(sink(Self.row, try Self.rowValue())))
        #expect(out.valueSchema?.field("id")?.schema.type == .int32 && out.value?["id"] == .int32(42))
        let whole = try make("Cast$Value", ["spec": "string"])
        #expect(try whole.apply(sink(.float64, .float64(1.5)))?.value == .string("1.5"))
        #expect(try whole.apply(sink(.boolean, .boolean(true)))?.value == .string("true"))
        let toInt = try make("Cast$Value", ["spec": "int8"])
        #expect(try toInt.apply(sink(.int32, .int32(300)))?.value == .int8(44))  // Java's narrowing
        #expect(try toInt.apply(sink(.string, .string("12")))?.value == .int8(12))
        #expect(throws: ConnectDataError.self) { try toInt.apply(sink(.string, .string("twelve"))) }
        let toBool = try make("Cast$Value", ["spec": "boolean"])
        #expect(try toBool.apply(sink(.int64, .int64(2)))?.value == .boolean(true))
        #expect(throws: ConnectConfigError.self) { try make("Cast$Value", ["spec": "id:decimal"]) }
    }

    @Test func flattenJoinsNestedNames() throws {
        let inner = ConnectSchema.struct(optional: true, [("city", .string)])
        let schema = ConnectSchema.struct([("id", .int64), ("address", inner)])
        var innerValue = ConnectStruct(schema: inner)
        try innerValue.set("city", .string("Oslo"))
        var value = ConnectStruct(schema: schema)
        try value.set("id", .int64(1))
        try value.set("address", .struct(innerValue))
        let flatten = try make("Flatten$Value", ["delimiter": "_"])
        let out = try #require(try flatten.apply(sink(schema, .struct(value))))
        #expect(out.valueSchema?.fields.map(\.name) == ["id", "address_city"])
        #expect(out.valueSchema?.field("address_city")?.schema.isOptional == true)
        #expect(out.value?["address_city"] == .string("Oslo"))
        let map = try make("Flatten$Value", [:]).apply(
            sink(nil, .stringMap(["a": .stringMap(["b": .int64(1)]), "c": .int64(2)]))
        )
        #expect(map?.value == .stringMap(["a.b": .int64(1), "c": .int64(2)]))
    }

    @Test func routersRenameTopics() throws {
        let regex = try make("RegexRouter", ["regex": "(.*)-raw", "replacement": "$1-clean"])
        #expect(try regex.apply(sink(nil, nil, topic: "orders-raw"))?.topic == "orders-clean")
        #expect(try regex.apply(sink(nil, nil, topic: "orders-raw-x"))?.topic == "orders-raw-x")  // whole name only
        let stamp = try make("TimestampRouter", [:])
        #expect(try stamp.apply(sink(nil, nil))?.topic == "orders-20200913")
        let custom = try make(
            "TimestampRouter",
            ["topic.format": "${timestamp}_${topic}", "timestamp.format": "yyyy-MM-dd'T'HH"]
        )
        #expect(try custom.apply(sink(nil, nil))?.topic == "2020-09-13T12_orders")
        var untimed = sink(nil, nil)
        untimed.timestamp = nil
        #expect(throws: ConnectDataError.self) { try stamp.apply(untimed) }
    }

    @Test func filterWithPredicatesInAChain() throws {
        let chain = try TransformationChain(connectorConfig: [
            "transforms": "dropTombstones, route, dropAudit",
            "transforms.dropTombstones.type": "org.apache.kafka.connect.transforms.Filter",
            "transforms.dropTombstones.predicate": "isTombstone",
            "transforms.route.type": "RegexRouter", "transforms.route.regex": "orders",
            "transforms.route.replacement": "sales",
            "transforms.dropAudit.type": "Filter", "transforms.dropAudit.predicate": "audited",
            "transforms.dropAudit.negate": "true",
            "predicates": "isTombstone,audited",
            "predicates.isTombstone.type": "org.apache.kafka.connect.transforms.predicates.RecordIsTombstone",
            "predicates.audited.type": "HasHeaderKey", "predicates.audited.name": "audit",
        ])
        #expect(try chain.apply(sink(.string, nil)) == nil)
        #expect(try chain.apply(sink(.string, .string("x"))) == nil)  // no audit header: negated filter drops it
        var audited = sink(.string, .string("x"))
        audited.headers = [ConnectHeader(key: "audit", schema: .string, value: .string("1"))]
        #expect(try chain.apply(audited)?.topic == "sales")
        #expect(throws: ConnectConfigError.self) {
            try TransformationChain(connectorConfig: [
                "transforms": "a", "transforms.a.type": "Filter", "transforms.a.predicate": "missing",
            ])
        }
        #expect(throws: ConnectConfigError.self) {
            try TransformationChain(connectorConfig: ["transforms": "a", "transforms.a.type": "Nope"])
        }
        let matches = try Transforms.makePredicate("TopicNameMatches", config: ["pattern": "ord.*"])
        #expect(matches.test(sink(nil, nil)) && !matches.test(sink(nil, nil, topic: "xorders")))
    }
}
