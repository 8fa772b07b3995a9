import Prometheus
import SchemaRegistry

/// The registry's `/metrics` (Prometheus text): `schema_registry_requests_total{method,endpoint,status}`,
/// `schema_registry_request_duration_seconds{method,endpoint}` (a histogram), and at each scrape the gauges
/// `schema_registry_subjects`, `schema_registry_schemas` (ids) and `schema_registry_leader` (1 on the instance that
/// writes). An endpoint is its route template (`/subjects/{subject}/versions/{version}`), so subjects never become
/// label values. Any task may record.
struct SchemaRegistryMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()

    func record(_ request: RegistryRequest, status: Int, duration: Duration) {
        let endpoint = Self.endpoint(request.path)
        registry.makeCounter(
            descriptor: MetricNameDescriptor(
                namespace: "schema_registry",
                metricName: "requests",
                unitName: "total",
                helpText: "Requests served, by method, route template and HTTP status."
            ),
            labels: [("method", request.method), ("endpoint", endpoint), ("status", String(status))]
        ).increment()
        registry.makeDurationHistogram(
            descriptor: MetricNameDescriptor(
                namespace: "schema_registry",
                metricName: "request_duration",
                unitName: "seconds",
                helpText: "Time to answer a request, by method and route template."
            ),
            labels: [("method", request.method), ("endpoint", endpoint)],
            buckets: [
                .microseconds(500), .milliseconds(1), .milliseconds(5), .milliseconds(25), .milliseconds(100),
                .milliseconds(500), .seconds(2),
            ]
        ).record(duration)
    }

    /// The exposition text, with the state's gauges set first.
    func emit(_ state: SchemaRegistryState, isLeader: Bool) -> String {
        func gauge(_ name: String, _ help: String) -> Gauge {
            registry.makeGauge(
                descriptor: MetricNameDescriptor(
                    namespace: "schema_registry",
                    metricName: name,
                    unitName: "",
                    helpText: help
                )
            )
        }
        gauge("subjects", "Subjects with a live version.").set(Double(state.subjectNames().count))
        gauge("schemas", "Schema ids known.").set(Double(state.schemasByID.count))
        gauge("leader", "1 on the instance that writes to the schemas topic.").set(isLeader ? 1.0 : 0.0)
        return registry.emitToString()
    }

    /// The route template of a request path: fixed words kept, subjects, versions and ids replaced.
    static func endpoint(_ path: [String]) -> String {
        var template: [String] = []
        for (index, segment) in path.enumerated() {
            let previous = index > 0 ? path[index - 1] : ""
            switch previous {
            case "subjects" where path.first == "subjects" || path.first == "compatibility":
                template.append("{subject}")
            case "config", "mode": template.append("{subject}")
            case "versions": template.append("{version}")
            case "ids": template.append("{id}")
            default: template.append(segment)
            }
        }
        return "/" + template.joined(separator: "/")
    }
}
