import Foundation
import Hummingbird
import KafkaClient
import KafkaConnect
public import Logging
import NIOCore
import ServiceLifecycle

/// `swiftkafka-connect`: a worker serving Connect's REST API (`ConnectAPI`) over HTTP (Hummingbird) on
/// `listeners`, standalone (`StandaloneHerder`) or distributed (`DistributedHerder`). Lifecycle: `run` asks the
/// cluster for its id, then either creates the connectors of the given properties (standalone; a refused one stops
/// the worker, as Connect's standalone launcher does) or joins the worker group (distributed), serves until
/// cancelled (SIGTERM or SIGINT), then stops every task (each commits its offsets) and returns.
public struct ConnectWorker: Sendable {
    public let config: WorkerConfig
    public let connectors: [[String: String]]
    public let logger: Logger

    public init(config: WorkerConfig, connectors: [[String: String]], logger: Logger) {
        self.config = config
        self.connectors = connectors
        self.logger = logger
    }

    public func run() async throws {
        let herder: any Herder
        let stop: @Sendable () async -> Void
        let clusterID = await clusterID()
        if config.distributed != nil {
            let distributed = try DistributedHerder(worker: config, logger: logger)
            try await distributed.start()
            herder = distributed
            stop = { await distributed.stop() }
        } else {
            let standalone = try StandaloneHerder(worker: config, logger: logger)
            for properties in connectors {
                do {
                    try await standalone.put(properties, allowUpdate: false)
                } catch {
                    await standalone.stopAll()
                    throw ConnectConfigError(
                        "Failed to create connector \(properties["name"] ?? "?"): \(error.message)"
                    )
                }
            }
            herder = standalone
            stop = { await standalone.stopAll() }
        }
        let api = ConnectAPI(herder: herder, clusterID: clusterID)
        let logger = self.logger
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            var request = request
            let target = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            let body = Array(buffer: try await request.collectBody(upTo: 16 << 20))
            let received = request.headers
            let header = { (name: String) in received.first { $0.name.canonicalName == name.lowercased() }?.value }
            let answer = await api.handle(
                ConnectRequest(
                    method: request.method.rawValue,
                    target: target,
                    body: body,
                    signature: header(SessionKey.signatureHeader),
                    signatureAlgorithm: header(SessionKey.algorithmHeader)
                )
            )
            if answer.status >= 500 {
                logger.error(
                    "Request failed",
                    metadata: [
                        "method": "\(request.method)", "path": "\(request.uri.path)", "status": "\(answer.status)",
                    ]
                )
            }
            var headers: HTTPFields = [:]
            if let text = answer.text {
                headers[.contentType] = "text/plain; version=0.0.4"
                return Response(
                    status: .init(code: answer.status),
                    headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: text))
                )
            }
            if let body = answer.body {
                headers[.contentType] = "application/json"
                if let location = answer.location { headers[.location] = location }
                return Response(
                    status: .init(code: answer.status),
                    headers: headers,
                    body: .init(byteBuffer: ByteBuffer(string: body.compactText))
                )
            }
            return Response(status: .init(code: answer.status), headers: headers)
        }
        let host = config.restHost.isEmpty ? "0.0.0.0" : config.restHost
        let port = config.restPort
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                serverName: "swiftkafka-connect"
            ),
            onServerRunning: { _ in
                logger.info("Connect worker serving", metadata: ["listener": "http://\(host):\(port)"])
            },
            logger: logger
        )
        do {
            try await application.runService()
        } catch {
            await stop()
            throw error
        }
        await stop()
        logger.info("Connect worker stopped")
    }

    /// The Kafka cluster's id, for `GET /`; nil (logged) when the cluster cannot be reached at start.
    func clusterID() async -> String? {
        let admin: KafkaAdminClient
        do {
            admin = try KafkaAdminClient(
                properties: ["bootstrap.servers": config.bootstrapServers.joined(separator: ",")],
                logger: logger
            )
        } catch {
            logger.warning("Cannot read the Kafka cluster id: \(error)")
            return nil
        }
        defer { admin.cluster.close() }
        do {
            return try await admin.describeCluster().clusterID
        } catch {
            logger.warning("Cannot read the Kafka cluster id: \(error)")
            return nil
        }
    }
}
