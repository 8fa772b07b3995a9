/// Client quotas' sampling, Kafka 2.8's names and defaults: a quota is measured over `quota.window.num` windows of
/// `quota.window.size.seconds`. The quotas themselves are dynamic (AlterClientQuotas, `/config/users`,
/// `/config/clients`).
extension ConfigTable {
    static let quotas: [ConfigKey] = [
        .broker(
            "quota.window.num",
            \.quotaWindowNum,
            .atLeast(2),
            "The number of samples a client quota's rate is measured over."
        ),
        .broker(
            "quota.window.size.seconds",
            \.quotaWindowSizeSeconds,
            .atLeast(1),
            "The time span of each client quota sample."
        ),
    ]
}
