import ConnectRuntime
import Hummingbird
import Logging
import NIOCore

/// swiftkafka-mirror's HTTP endpoint for Prometheus, on mm2.properties' `metrics.port` (as the broker's: -1, the
/// default, serves none; 0 picks a free port, logged) and `metrics.host` (empty: every interface): `GET /metrics`
/// answers MirrorMaker 2's metrics (`MirrorMetrics`) in the text format, `GET /health` answers ok. Runs as one
/// service of the command's service group, stopped with it.
enum MirrorMetricsEndpoint {
    static func application(host: String, port: Int, logger: Logger) -> some ApplicationProtocol {
        let router = Router()
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: MirrorMetrics.shared.text()))
            )
        }
        router.get("/health") { _, _ in "ok\n" }
        let bound = host.isEmpty ? "0.0.0.0" : host
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(bound, port: port),
                serverName: "swiftkafka-mirror"
            ),
            onServerRunning: { channel in
                let actual = channel.localAddress?.port ?? port
                logger.info("MirrorMaker metrics serving", metadata: ["listener": "http://\(bound):\(actual)/metrics"])
            },
            logger: logger
        )
    }
}
