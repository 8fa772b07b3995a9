import KafkaCore
import KafkaProtocol

/// AlterConfigs (33): replaces a topic's overrides as a whole (validated, written to `/config/topics/<t>`, announced).
enum AlterConfigsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(AlterConfigsRequest.self) { request, context in
            var responses: [AlterConfigsResponse.AlterConfigsResourceResponse] = []
            for resource in request.resources {
                let configs = Dictionary(
                    resource.configs.compactMap { config in config.value.map { (config.name, $0) } },
                    uniquingKeysWith: { _, last in last }
                )
                let (code, message) = await ConfigsHandlers.alter(
                    resource.resourceType,
                    resource.resourceName,
                    validateOnly: request.validateOnly,
                    context,
                    services
                ) { _ in configs }
                responses.append(
                    .init(
                        errorCode: code,
                        errorMessage: message,
                        resourceType: resource.resourceType,
                        resourceName: resource.resourceName
                    )
                )
            }
            return AlterConfigsResponse(responses: responses)
        }
    }
}
