import KafkaProtocol

/// ApiVersions (18): the versions of every API this broker serves to clients, from the handler table itself.
/// Versions 0-3; the response header is always v0 (see `ApiKey.responseHeaderVersion`).
enum ApiVersionsHandler {
    static func make(
        advertised: @escaping @Sendable () -> [(key: ApiKey, versions: ClosedRange<Int16>)]
    ) -> any RequestHandler {
        TypedHandler(ApiVersionsRequest.self, versions: 0...3) { _, _ in
            ApiVersionsResponse(
                errorCode: 0,
                apiKeys: advertised().map {
                    .init(
                        apiKey: $0.key.rawValue,
                        minVersion: $0.versions.lowerBound,
                        maxVersion: $0.versions.upperBound
                    )
                }
            )
        }
    }
}
