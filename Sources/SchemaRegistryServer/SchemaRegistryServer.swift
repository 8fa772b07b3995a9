import Foundation
import Hummingbird
public import Logging
import NIOCore
import SchemaRegistry
import ServiceLifecycle

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `swiftkafka-schema-registry`: Confluent Schema Registry's REST API (`SchemaRegistryAPI`) over HTTP
/// (Hummingbird) on the `_schemas`-backed store. Lifecycle: `run()` starts the store (topic made or checked, read
/// whole), with `kafkastore.connection.url` joins the ZooKeeper election (`ZooKeeperLeadership`), serves until
/// cancelled (SIGTERM), then closes. Without ZooKeeper this instance writes alone; with it, an instance that does
/// not lead forwards each write to the leader and relays its answer (Confluent's forwarding; 50004 while no leader
/// is known, 50003 when the leader cannot be reached).
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
        let (host, port) = try config.listener()
        var leadership: ZooKeeperLeadership?
        if let connect = config.zookeeperConnect {
            let me = ZooKeeperLeadership.Identity(host: config.hostName, port: port)
            let elector = ZooKeeperLeadership(
                connectString: connect,
                namespace: config.zookeeperNamespace,
                me: me,
                logger: logger
            )
            try await elector.start()
            await store.setLeadership(elector)
            leadership = elector
        }
        let api = SchemaRegistryAPI(store: store, modeMutability: config.modeMutability)
        let logger = self.logger
        let forwarding = leadership
        let metrics = SchemaRegistryMetrics()
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let started = ContinuousClock.now
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let body = Array(buffer: try await request.collectBody(upTo: 16 << 20))
            let registryRequest = RegistryRequest(method: request.method.rawValue, target: target, body: body)
            if registryRequest.method == "GET" && registryRequest.path == ["metrics"] {
                let isLeader = await forwarding?.isLeader ?? true
                return Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(string: metrics.emit(await store.state, isLeader: isLeader)))
                )
            }
            let answer: RegistryResponse
            defer { metrics.record(registryRequest, status: answer.status, duration: ContinuousClock.now - started) }
            if let forwarding, Self.isWrite(registryRequest), await !forwarding.isLeader {
                answer = await Self.forward(
                    registryRequest,
                    target: target,
                    to: await forwarding.leader,
                    logger: logger
                )
            } else {
                answer = await api.handle(registryRequest)
            }
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
        let watcher = Task { [forwarding] in await forwarding?.run() }
        defer {
            reader.cancel()
            watcher.cancel()
        }
        do {
            try await application.runService()
        } catch {
            await leadership?.close()
            await store.close()
            throw error
        }
        reader.cancel()
        watcher.cancel()
        await leadership?.close()
        await store.close()
    }

    /// Registrations, deletes and settings changes; lookups and compatibility checks are reads.
    static func isWrite(_ request: RegistryRequest) -> Bool {
        switch request.method {
        case "PUT", "DELETE": true
        case "POST": request.path.count == 3 && request.path[0] == "subjects" && request.path[2] == "versions"
        default: false
        }
    }

    /// Sends the request to the leader and relays its answer.
    static func forward(
        _ request: RegistryRequest,
        target: String,
        to leader: ZooKeeperLeadership.Identity?,
        logger: Logger
    ) async -> RegistryResponse {
        guard let leader, let url = URL(string: leader.url + target) else {
            return RegistryResponse(status: 500, body: #"{"error_code":50004,"message":"Unknown leader"}"#)
        }
        var forwarded = URLRequest(url: url)
        forwarded.httpMethod = request.method
        forwarded.httpBody = request.body.isEmpty ? nil : Data(request.body)
        forwarded.setValue(RegistryResponse.contentType, forHTTPHeaderField: "Content-Type")
        forwarded.timeoutInterval = 30
        do {
            let (data, response) = try await URLSession.shared.data(for: forwarded)
            let http = response as? HTTPURLResponse
            return RegistryResponse(
                status: http?.statusCode ?? 500,
                body: String(decoding: data, as: UTF8.self),
                contentType: http?.value(forHTTPHeaderField: "Content-Type") ?? RegistryResponse.contentType
            )
        } catch {
            logger.warning("Forwarding a write to the leader failed: \(error)", metadata: ["leader": "\(leader.url)"])
            return RegistryResponse(
                status: 500,
                body: #"{"error_code":50003,"message":"Error while forwarding the request to the leader"}"#
            )
        }
    }
}
