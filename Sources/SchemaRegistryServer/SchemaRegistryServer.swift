public import Hummingbird
public import Logging
import NIOCore
import SchemaRegistry
public import ServiceLifecycle

/// `swiftkafka-schema-registry`: Confluent Schema Registry's REST API (`SchemaRegistryAPI`) over HTTP
/// (Hummingbird) on the `_schemas`-backed store. Lifecycle: `run()` starts the store (topic made or checked, read
/// whole), serves until cancelled (SIGTERM), then closes the store. One instance writes; running several against
/// one topic is not safe yet (no leader election: ids could collide).
public struct SchemaRegistryServer: Sendable {
    public let config: SchemaRegistryConfig
    public let logger: Logger

    public init(config: SchemaRegistryConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        var storeConfiguration = KafkaSchemaStore.Configuration(bootstrapServers: config.bootstrapServers)
        storeConfiguration.topic = config.topic
        storeConfiguration.replicationFactor = config.replicationFactor
        storeConfiguration.defaultCompatibility = config.compatibility
        storeConfiguration.timeoutMs = config.timeoutMs
        let store = try KafkaSchemaStore(configuration: storeConfiguration, logger: logger)
        try await store.start()
        let api = SchemaRegistryAPI(store: store, modeMutability: config.modeMutability)
        let logger = self.logger
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let body = try await request.collectBody(upTo: 16 << 20)
            let answer = await api.handle(
                RegistryRequest(method: request.method.rawValue, target: target, body: Array(buffer: body))
            )
            if answer.status >= 500 {
                logger.error(
                    "Request failed",
                    metadata: [
                        "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(answer.status)",
                    ]
                )
            }
            return Response(
                status: .init(code: answer.status),
                headers: [.contentType: answer.contentType],
                body: .init(byteBuffer: ByteBuffer(string: answer.body))
            )
        }
        let (host, port) = try config.listener()
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                serverName: "swiftkafka-schema-registry"
            ),
            onServerRunning: { _ in
                logger.info("Schema registry serving", metadata: ["listener": "http://\(host):\(port)"])
            },
            logger: logger
        )
        let reader = Task { await store.run() }
        defer { reader.cancel() }
        do {
            try await application.runService()
        } catch {
            await store.close()
            throw error
        }
        reader.cancel()
        await store.close()
    }
}
