import ArgumentParser
import KafkaSecurity
import KafkaZooKeeper

/// `acls`: every ACL in `/kafka-acl` and `/kafka-acl-extended`, as kafka-acls --list prints them.
struct AclsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "acls", abstract: "List the ACLs.")
    @OptionGroup var options: ConnectionOptions

    func run() async throws {
        let acls = try await options.withClient { try await $0.getAllAcls() }
        let sorted = acls.sorted { $0.key.description < $1.key.description }
        options.emit(
            sorted.map { pattern, entries in
                [
                    "resourceType": pattern.type.upperName, "name": pattern.name,
                    "patternType": pattern.patternType.upperName,
                    "acls": entries.sorted { $0.description < $1.description }.map {
                        [
                            "principal": $0.principal, "host": $0.host, "operation": $0.operation.upperName,
                            "permissionType": $0.permission.name.uppercased(),
                        ]
                    },
                ] as [String: Any]
            }
        ) {
            sorted.map { pattern, entries in
                "Current ACLs for resource `\(pattern)`: \n "
                    + entries.map { "\t\($0)" }.sorted().joined(separator: "\n") + " \n\n"
            }.joined()
        }
    }
}
