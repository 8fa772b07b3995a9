import KafkaCore
import KafkaProtocol

/// IncrementalAlterConfigs (44): sets, deletes, appends to or subtracts from single topic overrides.
enum IncrementalAlterConfigsHandler {
    static func make(_ services: BrokerServices) -> any RequestHandler {
        TypedHandler(IncrementalAlterConfigsRequest.self) { request, context in
            var responses: [IncrementalAlterConfigsResponse.AlterConfigsResourceResponse] = []
            for resource in request.resources {
                let (code, message) = await ConfigsHandlers.alter(
                    resource.resourceType,
                    resource.resourceName,
                    validateOnly: request.validateOnly,
                    context,
                    services
                ) { current in
                    var configs = current
                    for change in resource.configs {
                        let list = (configs[change.name] ?? "").split(separator: ",").map(String.init).filter {
                            !$0.isEmpty
                        }
                        switch change.configOperation {
                        case 0: configs[change.name] = change.value
                        case 1: configs.removeValue(forKey: change.name)
                        case 2:
                            configs[change.name] = (list + [change.value ?? ""].filter { !list.contains($0) })
                                .joined(separator: ",")
                        case 3: configs[change.name] = list.filter { $0 != change.value }.joined(separator: ",")
                        default: break
                        }
                    }
                    return configs
                }
                responses.append(
                    .init(
                        errorCode: code,
                        errorMessage: message,
                        resourceType: resource.resourceType,
                        resourceName: resource.resourceName
                    )
                )
            }
            return IncrementalAlterConfigsResponse(responses: responses)
        }
    }
}
