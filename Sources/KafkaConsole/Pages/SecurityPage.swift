import KafkaClient
import KafkaCore
import KafkaSecurity

/// `/security`: the cluster's ACLs (every binding DescribeAcls lists, as `kafka-acls --list` shows them) and its
/// client quotas (users, client ids, their defaults). Read only. A cluster without an authorizer says so
/// (SECURITY_DISABLED) instead of listing nothing.
struct SecurityPage: Encodable, Sendable {
    struct Acl: Encodable, Sendable {
        var resourceType: String
        var resourceName: String
        var patternType: String
        var principal: String
        var host: String
        var operation: String
        var permission: String
    }

    struct Quota: Encodable, Sendable {
        var entity: String
        var values: String
    }

    var authorizer: Bool
    var aclError: String?
    var acls: [Acl]
    var quotas: [Quota]
}

extension ConsoleCluster {
    func security() async throws -> SecurityPage {
        var page = SecurityPage(authorizer: true, acls: [], quotas: [])
        do {
            page.acls = try await admin.describeAcls(AclBindingFilter()).map { binding in
                SecurityPage.Acl(
                    resourceType: binding.pattern.type.upperName,
                    resourceName: binding.pattern.name,
                    patternType: binding.pattern.patternType.upperName,
                    principal: binding.entry.principal,
                    host: binding.entry.host,
                    operation: binding.entry.operation.upperName,
                    permission: binding.entry.permission.name.uppercased()
                )
            }
            .sorted {
                ($0.resourceType, $0.resourceName, $0.principal) < ($1.resourceType, $1.resourceName, $1.principal)
            }
        } catch let error as AdminError where error.code == .securityDisabled {
            page.authorizer = false
        } catch {
            page.aclError = "\(error)"
        }
        // Not strict: each call also names the entities that combine its type with another (user and client id).
        let users = try await admin.describeClientQuotas([("user", .any)])
        let clients = try await admin.describeClientQuotas([("client-id", .any)])
        var seen = Set<String>()
        for (entity, values) in users + clients {
            let name = entity.map { "\($0.type)=\($0.name ?? "<default>")" }.joined(separator: ", ")
            guard seen.insert(name).inserted else { continue }
            page.quotas.append(
                .init(
                    entity: name,
                    values: values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ", ")
                )
            )
        }
        page.quotas.sort { $0.entity < $1.entity }
        return page
    }

    /// The open transactions of `topic`'s partitions (DescribeProducers at each leader): producer, epoch, the
    /// transaction's first offset.
    func openTransactions(_ topic: String, partitions: [Int32]) async -> [TopicPage.OpenTransaction] {
        let asked = partitions.map { TopicPartition(topic, $0) }
        guard let answers = try? await admin.describeProducers(asked) else { return [] }
        var open: [TopicPage.OpenTransaction] = []
        for (partition, answer) in answers {
            guard case .success(let producers) = answer else { continue }
            for producer in producers {
                guard let start = producer.currentTransactionStartOffset else { continue }
                open.append(
                    .init(
                        partition: partition.partition,
                        producerID: producer.producerID,
                        producerEpoch: producer.producerEpoch,
                        startOffset: start,
                        lastTimestamp: producer.lastTimestamp
                    )
                )
            }
        }
        return open.sorted { ($0.partition, $0.producerID) < ($1.partition, $1.producerID) }
    }
}
