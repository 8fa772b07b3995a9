import Foundation
import KafkaCore
import KafkaProtocol
import KafkaStorage
import Logging
import NIOCore

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Broker-side schema id validation (Confluent Server's `confluent.value.schema.validation`): for a topic that asks
/// it, every non-null key or value of a produced batch must be Confluent's wire format — byte 0, then a big-endian
/// schema id — naming a schema the registry (`confluent.schema.registry.url`) has under the topic's subject
/// (TopicNameStrategy: `<topic>-key` / `<topic>-value`; any subject for the other strategies). Tombstones pass.
/// Answers are cached: a known id for 5 minutes, an unknown one for 1 second. The registry unreachable means the
/// batch is refused (nothing unvalidated is written).
///
/// Used by the produce handler before appending; only topics with validation on scan their records (decompressed,
/// which is what the measured cost buys). An actor for its cache; the scanning runs outside it, in the caller's
/// task, so partitions are checked in parallel.
actor SchemaIDValidator {
    let registryURL: String
    let logger: Logger
    private var cache: [Int32: (subjects: Set<String>?, expires: ContinuousClock.Instant)] = [:]
    /// Whether the last question to the registry was answered: one log line when that changes, not one per batch.
    private var registryAnswers = true

    init(registryURL: String, logger: Logger) {
        self.registryURL = registryURL.hasSuffix("/") ? String(registryURL.dropLast()) : registryURL
        self.logger = logger
    }

    /// The registry's URL without any user and password in it, for log lines.
    var loggedURL: String {
        guard var components = URLComponents(string: registryURL) else { return "(unparsable URL)" }
        components.user = nil
        components.password = nil
        return components.string ?? "(unparsable URL)"
    }

    /// One framed key or value: its record's index over the request's batches, which part, and its schema id
    /// (nil: not framed).
    struct Framed {
        var index: Int32
        var part: String
        var id: Int32?
    }

    /// Why `records` must be refused (the index of the first bad record counted over the request's batches, and
    /// a message naming it), or nil. The records are scanned first (keys and values only, no per-record objects),
    /// then each distinct id is looked up once.
    nonisolated func problem(
        in records: ByteBuffer,
        topic: String,
        config: LogConfig
    ) async -> (index: Int32, message: String)? {
        var framed: [Framed] = []
        var ids: Set<Int32> = []
        var remaining = records
        var index: Int32 = 0
        var failure: (index: Int32, message: String)?
        func scan(_ bytes: ByteBuffer?, _ part: String) {
            guard let bytes else { return }  // tombstones and null keys pass
            guard bytes.readableBytes >= 5, bytes.getInteger(at: bytes.readerIndex, as: UInt8.self) == 0,
                let id = bytes.getInteger(at: bytes.readerIndex + 1, as: Int32.self)
            else {
                framed.append(Framed(index: index, part: part, id: nil))
                return
            }
            if ids.insert(id).inserted { framed.append(Framed(index: index, part: part, id: id)) }
        }
        while failure == nil, let batch = try? RecordBatch.nextBatch(from: &remaining) {
            do throws(RecordBatchError) {
                try batch.forEachKeyAndValue(decompressionLimit: 64 << 20) { key, value in
                    if config.keySchemaValidation { scan(key, "key") }
                    if config.valueSchemaValidation { scan(value, "value") }
                    index += 1
                    return framed.last?.id != nil || framed.isEmpty
                }
            } catch {
                failure = (index, "batch at record \(index) cannot be read for schema validation: \(error)")
            }
        }
        if let failure { return failure }
        for entry in framed {
            guard let id = entry.id else {
                return (
                    entry.index,
                    "record \(entry.index): the \(entry.part) does not start with the schema id (magic byte 0 and 4 bytes)"
                )
            }
            let strategy = entry.part == "key" ? config.keySubjectNameStrategy : config.valueSubjectNameStrategy
            if let message = await check(id, part: entry.part, topic: topic, strategy: strategy) {
                return (entry.index, "record \(entry.index): \(message)")
            }
        }
        return nil
    }

    func check(_ id: Int32, part: String, topic: String, strategy: String) async -> String? {
        let subject = "\(topic)-\(part)"
        let subjects: Set<String>?
        do {
            subjects = try await registered(id)
        } catch {
            // A URLError's text can carry the URL, and with it credentials: only its code is told.
            let error = (error as? URLError).map { "URLError \($0.code.rawValue)" } ?? "\(error)"
            if registryAnswers {
                registryAnswers = false
                logger.warning(
                    "Schema validation refuses batches: the schema registry does not answer",
                    metadata: ["url": "\(loggedURL)", "error": "\(error)"]
                )
            }
            return "the schema registry could not be asked about schema id \(id): \(error)"
        }
        if !registryAnswers {
            registryAnswers = true
            logger.info("Schema validation: the schema registry answers again", metadata: ["url": "\(loggedURL)"])
        }
        guard let subjects else { return "schema id \(id) of the \(part) is not registered" }
        if strategy == LogConfig.topicNameStrategy && !subjects.contains(subject) {
            return "schema id \(id) of the \(part) is not registered under subject \(subject)"
        }
        return nil
    }

    /// The subjects `id` is registered under (nil: not registered), from the cache or the registry.
    func registered(_ id: Int32) async throws -> Set<String>? {
        let now = ContinuousClock.now
        if let cached = cache[id], cached.expires > now { return cached.subjects }
        guard !registryURL.isEmpty, let url = URL(string: "\(registryURL)/schemas/ids/\(id)/versions") else {
            throw ValidationError("confluent.schema.registry.url is not set")
        }
        var request = URLRequest(url: url)
        request.timeoutInterval = 10
        let (data, response) = try await URLSession.shared.data(for: request)
        let status = (response as? HTTPURLResponse)?.statusCode ?? 0
        let subjects: Set<String>?
        switch status {
        case 200:
            let entries = (try? JSONSerialization.jsonObject(with: data)) as? [[String: Any]] ?? []
            subjects = Set(entries.compactMap { $0["subject"] as? String })
        case 404:
            subjects = nil
        default:
            throw ValidationError("HTTP \(status)")
        }
        cache[id] = (subjects, now + (subjects == nil ? .seconds(1) : .seconds(300)))
        return subjects
    }

    struct ValidationError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}
