import KafkaCore
public import KafkaProtocol
public import KafkaSecurity
public import Logging
public import NIOCore

/// Routes each request frame to its API's handler, by `ApiTable` (which also answers ApiVersions).
///
/// Kafka's rules at the door: an unknown API key closes the connection; a version outside the handler's range is
/// answered with UNSUPPORTED_VERSION (for ApiVersions in the v0 format, KIP-511) or, where the response cannot be
/// shaped, closes the connection; a body that does not decode closes the connection. Each served request is
/// counted and timed in `BrokerMetrics` (RequestsPerSec and TotalTimeMs by API name), and charged to its
/// `request_percentage` quota when one applies (`RequestQuotaMeter`).
public final class RequestDispatcher: Sendable {
    let apis: [ApiKey: ServedApi]
    let logger: Logger
    let metrics: BrokerMetrics
    let quotas: ClientQuotas?

    init(apis: [ServedApi], logger: Logger, metrics: BrokerMetrics, quotas: ClientQuotas? = nil) {
        self.apis = Dictionary(
            apis.map { ($0.key, $0) },
            uniquingKeysWith: { _, _ in preconditionFailure("API twice") }
        )
        self.logger = logger
        self.metrics = metrics
        self.quotas = quotas
    }

    public func dispatch(
        _ frame: ByteBuffer,
        listenerName: String,
        clientAddress: String,
        clientHost: String = "",
        principal: KafkaPrincipal = .anonymous,
        throttle: ResponseThrottle = ResponseThrottle(),
        release: RequestRelease? = nil
    ) async -> RequestOutcome {
        let request: RequestFrame
        do {
            request = try RequestFrame(frame: frame)
        } catch {
            return .closeConnection(reason: "\(error)")
        }
        guard let api = apis[request.apiKey] else {
            return .closeConnection(reason: "API \(request.apiKey.name) is not served")
        }
        let context = RequestContext(
            listenerName: listenerName,
            clientAddress: clientAddress,
            clientHost: clientHost,
            header: request.header,
            principal: principal,
            metrics: metrics,
            throttle: throttle,
            release: release
        )
        guard api.versions.contains(request.apiVersion) else {
            if request.apiKey == .apiVersions {
                var buffer = ByteBuffer()
                ResponseFrame.writeUnsupportedApiVersions(
                    correlationID: request.correlationID,
                    supported: api.versions,
                    to: &buffer
                )
                return .response(buffer)
            }
            return .closeConnection(
                reason:
                    "unsupported version \(request.apiVersion) of \(request.apiKey.name) (serving \(api.versions))"
            )
        }
        let start = ContinuousClock.now
        let outcome: RequestOutcome
        if let meter = quotas?.requestMeter(for: request, principal: principal) {
            // request_percentage: the handler charges its work, less the waits the clock counts.
            var metered = context
            metered.requestQuota = meter
            outcome = await RequestWaitClock.$current.withValue(meter.waits) {
                await api.handler.handle(request, context: metered)
            }
        } else {
            outcome = await api.handler.handle(request, context: context)
        }
        let elapsed = ContinuousClock.now - start
        metrics.recordRequest(request.apiKey.name, version: request.apiVersion, duration: elapsed)
        if request.apiKey == .fetch {
            // Kafka times consumer and follower fetches apart too.
            metrics.recordTime(request.isFollowerFetch ? "FetchFollower" : "FetchConsumer", duration: elapsed)
        }
        return outcome
    }
}
