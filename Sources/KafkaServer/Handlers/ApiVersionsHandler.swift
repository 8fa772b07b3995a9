import KafkaProtocol

/// ApiVersions (18): the versions of every API this broker advertises, as `ApiTable` lists them (ApiVersions itself
/// included). The response header is always v0 (see `ApiKey.responseHeaderVersion`).
enum ApiVersionsHandler {
    static func make(advertising advertised: [(key: ApiKey, versions: ClosedRange<Int16>)]) -> any RequestHandler {
        let keys: [ApiVersionsResponse.ApiVersion] = advertised.sorted { $0.key.rawValue < $1.key.rawValue }.map {
            ApiVersionsResponse.ApiVersion(
                apiKey: $0.key.rawValue,
                minVersion: $0.versions.lowerBound,
                maxVersion: $0.versions.upperBound
            )
        }
        return TypedHandler(ApiVersionsRequest.self) { _, _ in ApiVersionsResponse(errorCode: .none, apiKeys: keys) }
    }
}
