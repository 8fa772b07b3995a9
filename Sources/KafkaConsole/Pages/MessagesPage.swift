import Foundation
import KafkaClient
import KafkaCore
import NIOCore

/// `/topics/<name>/messages`: a bounded read of a topic. The query: `partition` (all when absent), `offset` or
/// `timestamp` (milliseconds or ISO-8601) to start from, `order` (`newest`: the last `limit` before the start, or
/// before the end; `oldest`: the first `limit` from the start, or from the log start), `limit` (1 to 1,000), `key`
/// (records with exactly this key: only the partition the default partitioner gives it is read, unless `partition`
/// says otherwise), `q` (a substring of the key or value text), `field` and `equals` (a JSON value's top-level or
/// dotted field with that value). A search stops at the console's budget (`console.message.scan.max.records`,
/// `.max.ms`) and says so.
struct MessagesPage: Encodable, Sendable {
    struct Message: Encodable, Sendable {
        var partition: Int32
        var offset: Int64
        var timestamp: Int64
        var time: String
        var key: Rendered
        var value: Rendered
        var headers: [Header]
        /// The bytes, for decoding Avro through the schema registry; not part of the page's JSON.
        var rawKey: [UInt8]? = nil
        var rawValue: [UInt8]? = nil

        enum CodingKeys: String, CodingKey {
            case partition, offset, timestamp, time, key, value, headers
        }
    }

    struct Header: Encodable, Sendable {
        var key: String
        var value: String
    }

    /// Bytes as shown: text, pretty-printed JSON, hex, or null.
    struct Rendered: Encodable, Sendable {
        var format: String
        var text: String
    }

    var topic: String
    var partitions: [Int32]
    var query: MessageQuery
    var messages: [Message]
    var scanned: Int
    var budgetExhausted: Bool
    var elapsedMs: Int
}

/// What `/topics/<name>/messages` was asked.
struct MessageQuery: Encodable, Sendable {
    var partition: Int32?
    var offset: Int64?
    var timestamp: Int64?
    var newestFirst = true
    var limit = 50
    var key: String?
    var contains: String?
    var field: String?
    var equals: String?

    init(_ parameters: [String: String]) {
        func value(_ name: String) -> String? { parameters[name].flatMap { $0.isEmpty ? nil : $0 } }
        partition = value("partition").flatMap { Int32($0) }
        offset = value("offset").flatMap { Int64($0) }
        if let text = value("timestamp") {
            timestamp =
                Int64(text) ?? ISO8601DateFormatter().date(from: text).map { Int64($0.timeIntervalSince1970 * 1000) }
        }
        newestFirst = value("order") != "oldest"
        limit = min(max(value("limit").flatMap { Int($0) } ?? 50, 1), 1_000)
        key = value("key")
        contains = value("q")
        field = value("field")
        equals = value("equals")
    }

    var isFiltered: Bool { key != nil || contains != nil || field != nil }
}

extension ConsoleCluster {
    func messages(topic name: String, query: MessageQuery) async throws -> MessagesPage? {
        let started = ContinuousClock.now
        guard let topic = try await admin.describeTopics([name]).first, topic.error == .none else { return nil }
        var chosen = topic.partitions.map(\.partition).sorted()
        if let partition = query.partition {
            chosen = chosen.filter { $0 == partition }
        } else if let key = query.key, !chosen.isEmpty {
            chosen = [Partitioner.partition(forKey: Array(key.utf8), count: Int32(chosen.count))]
        }
        let partitions = chosen.map { TopicPartition(name, $0) }
        let marks = try await watermarks(partitions)
        var starts: [TopicPartition: Int64] = [:]
        if let timestamp = query.timestamp {
            for (partition, answer) in try await admin.listOffsets(partitions, at: timestamp) {
                if case .success(let offset) = answer {
                    starts[partition] = offset < 0 ? marks[partition]?.end : offset
                }
            }
        }
        var properties = config.kafkaProperties
        properties["enable.auto.commit"] = "false"
        properties["fetch.max.wait.ms"] = "20"
        let consumer = try KafkaConsumer(properties: properties, logger: logger)
        var scan = MessageScan(
            consumer: consumer,
            query: query,
            budget: ScanBudget(records: config.scanMaxRecords, until: started + .milliseconds(config.scanMaxMs))
        )
        var records: [ConsumerRecord] = []
        do {
            records = try await scan.run(marks: marks, starts: starts)
        } catch {
            await consumer.close()
            throw error
        }
        await consumer.close()
        let budget = scan.budget
        records.sort { a, b in
            query.newestFirst
                ? (a.timestamp, a.offset, a.partition) > (b.timestamp, b.offset, b.partition)
                : (a.timestamp, a.offset, a.partition) < (b.timestamp, b.offset, b.partition)
        }
        var found = records.prefix(query.limit).map(Self.message)
        if let registry = config.schemaRegistryURL {
            var avro = AvroMessages(registryURL: registry)
            for index in found.indices {
                if let raw = found[index].rawKey, let text = await avro.render(raw) {
                    found[index].key = .init(format: "avro", text: text)
                }
                if let raw = found[index].rawValue, let text = await avro.render(raw) {
                    found[index].value = .init(format: "avro", text: text)
                }
            }
        }
        return MessagesPage(
            topic: name,
            partitions: chosen,
            query: query,
            messages: found,
            scanned: budget.scanned,
            budgetExhausted: budget.exhausted,
            elapsedMs: Int((ContinuousClock.now - started) / .milliseconds(1))
        )
    }

    static func matches(_ record: ConsumerRecord, _ query: MessageQuery) -> Bool {
        let key = record.key.map { String(buffer: $0) }
        let value = record.value.map { String(buffer: $0) }
        if let wanted = query.key, key != wanted { return false }
        if let needle = query.contains,
            !(key?.localizedCaseInsensitiveContains(needle) ?? false)
                && !(value?.localizedCaseInsensitiveContains(needle) ?? false)
        {
            return false
        }
        if let field = query.field {
            guard let data = value?.data(using: .utf8),
                var node = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            else { return false }
            for step in field.split(separator: ".") {
                guard let object = node as? [String: Any], let next = object[String(step)] else { return false }
                node = next
            }
            if let equals = query.equals { return "\(node)" == equals }
        }
        return true
    }

    static func message(_ record: ConsumerRecord) -> MessagesPage.Message {
        let seconds = Double(record.timestamp) / 1000
        return MessagesPage.Message(
            partition: record.partition,
            offset: record.offset,
            timestamp: record.timestamp,
            time: Date(timeIntervalSince1970: seconds).formatted(.iso8601),
            key: render(record.key),
            value: render(record.value),
            headers: record.headers.map { .init(key: $0.key, value: render($0.value).text) },
            rawKey: record.key.flatMap { $0.readableBytesView.first == 0 ? Array($0.readableBytesView) : nil },
            rawValue: record.value.flatMap { $0.readableBytesView.first == 0 ? Array($0.readableBytesView) : nil }
        )
    }

    /// Null, pretty-printed JSON (an object or array), UTF-8 text, or hex.
    static func render(_ buffer: ByteBuffer?) -> MessagesPage.Rendered {
        guard let buffer else { return .init(format: "null", text: "(null)") }
        let bytes = Array(buffer.readableBytesView)
        if let text = String(validating: bytes, as: UTF8.self),
            !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\t" && $0 != "\r" })
        {
            if let first = text.first(where: { !$0.isWhitespace }), first == "{" || first == "[",
                let object = try? JSONSerialization.jsonObject(with: Data(bytes)),
                let pretty = try? JSONSerialization.data(
                    withJSONObject: object,
                    options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
                )
            {
                return .init(format: "json", text: String(decoding: pretty, as: UTF8.self))
            }
            return .init(format: "text", text: text)
        }
        return .init(format: "hex", text: bytes.map { String(format: "%02x", $0) }.joined(separator: " "))
    }
}

extension ConsoleCluster {
    /// Sends one message from the produce form: `headers` is one `key: value` per line.
    func produce(topic: String, form: [String: String]) async throws -> RecordMetadata {
        let partition = form["partition"].flatMap { Int32($0) }
        let key = form["key"].flatMap { $0.isEmpty ? nil : Array($0.utf8) }
        let value = form["value"].map { Array($0.utf8) }
        var headers: [(key: String, value: [UInt8]?)] = []
        for line in (form["headers"] ?? "").split(whereSeparator: \.isNewline) {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let name = line[..<colon].trimmingCharacters(in: .whitespaces)
            let text = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if !name.isEmpty { headers.append((name, Array(text.utf8))) }
        }
        return try await produce(topic: topic, partition: partition, key: key, value: value, headers: headers)
    }
}
