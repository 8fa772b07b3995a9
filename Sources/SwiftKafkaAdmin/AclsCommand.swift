import ArgumentParser
import Foundation
import KafkaClient
import KafkaSecurity

/// `swiftkafka-admin acls`: `kafka-acls --bootstrap-server B [--command-config F]` with Kafka 2.8's flags —
/// `--add`, `--remove` or `--list`; resources `--topic`, `--group`, `--transactional-id` (each repeatable),
/// `--cluster`, with `--resource-pattern-type` (literal by default; prefixed; and for --list/--remove also any or
/// match); `--allow-principal`/`--deny-principal` with `--allow-host`/`--deny-host` (default `*`) and `--operation`
/// (repeatable, default All); the `--producer` (Topic Write, Describe, Create; TransactionalId Write, Describe;
/// `--idempotent`: Cluster IdempotentWrite) and `--consumer` (Topic Read, Describe; Group Read) shortcuts;
/// `--principal` to list one principal's ACLs; `--force` to remove without asking. Output as AclCommand's, trailing
/// spaces included (`Adding ACLs for resource …`, `Current ACLs for resource …`).
struct AclsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acls",
        abstract: "Add, remove or list ACLs (kafka-acls)."
    )

    @OptionGroup var cluster: ClusterOptions
    @Flag(help: "Add ACLs.") var add = false
    @Flag(help: "Remove ACLs.") var remove = false
    @Flag(help: "List ACLs.") var list = false
    @Option(help: "A topic (* for all topics); repeatable.") var topic: [String] = []
    @Option(help: "A consumer group (* for all groups); repeatable.") var group: [String] = []
    @Option(help: "A transactional id (* for all); repeatable.") var transactionalId: [String] = []
    @Flag(name: .customLong("cluster"), help: "The cluster resource.") var clusterResource = false
    @Option(help: "literal or prefixed; for --list and --remove also any or match.") var resourcePatternType = "literal"
    @Option(help: "A principal (User:name, User:* for all) to allow; repeatable.") var allowPrincipal: [String] = []
    @Option(help: "A principal to deny; repeatable.") var denyPrincipal: [String] = []
    @Option(help: "A host the allowed principals may come from (default *); repeatable.") var allowHost: [String] = []
    @Option(help: "A host the denied principals are denied from (default *); repeatable.") var denyHost: [String] = []
    @Option(
        help:
            "An operation (Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All); repeatable."
    )
    var operation: [String] = []
    @Flag(help: "ACLs a producer needs on --topic (and --transactional-id).") var producer = false
    @Flag(help: "ACLs a consumer needs on --topic and --group.") var consumer = false
    @Flag(help: "With --producer: Cluster IdempotentWrite.") var idempotent = false
    @Option(help: "With --list: only this principal's ACLs; repeatable.") var principal: [String] = []
    @Flag(help: "Do not ask before removing.") var force = false

    func validate() throws {
        guard [add, remove, list].filter({ $0 }).count == 1 else {
            throw ValidationError("Command must include exactly one action: --list, --add, --remove.")
        }
        if list, !(allowPrincipal + denyPrincipal + allowHost + denyHost).isEmpty || producer || consumer {
            throw ValidationError("--list takes no principals, hosts, --producer or --consumer")
        }
        if (producer || consumer), !(operation + denyPrincipal + denyHost).isEmpty {
            throw ValidationError("--producer and --consumer take no --operation, --deny-principal or --deny-host")
        }
        if producer, topic.isEmpty { throw ValidationError("With --producer you must specify a --topic") }
        if consumer, topic.isEmpty || group.isEmpty {
            throw ValidationError("With --consumer you must specify a --topic and a --group")
        }
    }

    func run() async throws {
        guard let patternType = PatternType(name: resourcePatternType), patternType != .unknown else {
            throw ValidationError(
                "--resource-pattern-type: \(resourcePatternType) is not literal, prefixed, any or match"
            )
        }
        if add, patternType != .literal && patternType != .prefixed {
            throw ValidationError(
                "A '--resource-pattern-type' value of '\(resourcePatternType)' is not valid when adding acls."
            )
        }
        try await cluster.withClient(failurePrefix: "Error while executing ACL command: ") { client in
            if add {
                let bindings = try self.bindings(patternType)
                for binding in bindings {
                    let valid = Self.validOperations[binding.pattern.type] ?? []
                    guard valid.contains(binding.entry.operation) else {
                        throw ValidationError(
                            "ResourceType \(binding.pattern.type.upperName) only supports operations \(valid.map(\.upperName).joined(separator: ","))"
                        )
                    }
                }
                guard !bindings.isEmpty else {
                    throw ValidationError(
                        "You must specify one of: --allow-principal, --deny-principal when trying to add ACLs."
                    )
                }
                for (pattern, entries) in Self.grouped(bindings) {
                    print("Adding ACLs for resource `\(pattern)`: \n \(Self.lines(entries)) \n")
                    for result in try await client.admin.createAcls(entries.map { AclBinding(pattern, $0) }) {
                        if case .failure(let error) = result { throw Failure("\(error)") }
                    }
                }
            } else if remove {
                let entries = try self.entries()
                for filter in try resourceFilters(patternType) {
                    let question =
                        entries.isEmpty
                        ? "Are you sure you want to delete all ACLs for resource filter `\(filter.patternDescription)`? (y/n)"
                        : "Are you sure you want to remove ACLs: \n \(Self.lines(entries)) \n from resource filter `\(filter.patternDescription)`? (y/n)"
                    guard confirm(question) else { continue }
                    let filters =
                        entries.isEmpty
                        ? [filter]
                        : entries.map { entry in
                            var exact = filter
                            exact.principal = entry.principal
                            exact.host = entry.host
                            exact.operation = entry.operation
                            exact.permission = entry.permission
                            return exact
                        }
                    for result in try await client.admin.deleteAcls(filters) {
                        if case .failure(let error) = result { throw Failure("\(error)") }
                    }
                }
            }
            try await printAcls(client, patternType)
        }
    }

    /// The resources named, as filters of the given pattern type (none named: every ACL).
    private func resourceFilters(_ patternType: PatternType) throws -> [AclBindingFilter] {
        resources().map { AclBindingFilter(resourceType: $0.0, name: $0.1, patternType: patternType) }
    }

    private func resources() -> [(ResourceType, String)] {
        topic.map { (.topic, $0) } + group.map { (.group, $0) } + transactionalId.map { (.transactionalID, $0) }
            + (clusterResource ? [(.cluster, ResourceType.clusterName)] : [])
    }

    /// `--list` (and what --add and --remove print after acting): each pattern's ACLs.
    private func printAcls(_ client: AdminClient, _ patternType: PatternType) async throws {
        let filters = try resourceFilters(patternType)
        var found: [AclBinding] = []
        for filter in filters.isEmpty ? [AclBindingFilter()] : filters {
            found += try await client.admin.describeAcls(filter)
        }
        if principal.isEmpty {
            for (pattern, entries) in Self.grouped(found) {
                print("Current ACLs for resource `\(pattern)`: \n \(Self.lines(entries)) \n")
            }
            return
        }
        for name in principal {
            print("ACLs for principal `\(name)`")
            for (pattern, entries) in Self.grouped(found.filter { $0.entry.principal == name }) {
                print("Current ACLs for resource `\(pattern)`: \n \(Self.lines(entries)) \n")
            }
            print("")
        }
    }

    /// The ACL entries the principal, host and operation flags describe (for --add and --remove).
    private func entries(_ operations: [AclOperation]? = nil) throws -> [AccessControlEntry] {
        let operations =
            try operations
            ?? (operation.isEmpty ? ["All"] : operation).map { name in
                guard let parsed = AclOperation(name: name), parsed != .unknown, parsed != .any else {
                    throw ValidationError("--operation: \(name) is not an ACL operation")
                }
                return parsed
            }
        var result: [AccessControlEntry] = []
        for (principals, hosts, permission) in [
            (allowPrincipal, allowHost, AclPermissionType.allow), (denyPrincipal, denyHost, .deny),
        ] {
            for principal in principals {
                guard KafkaPrincipal(parsing: principal) != nil else {
                    throw ValidationError("\(principal) is not a principal (principalType:name, e.g. User:alice)")
                }
                for host in hosts.isEmpty ? ["*"] : hosts {
                    for operation in operations {
                        result.append(
                            AccessControlEntry(
                                principal: principal,
                                host: host,
                                operation: operation,
                                permission: permission
                            )
                        )
                    }
                }
            }
        }
        return result
    }

    /// What --add adds: the CLI's entries on every resource, or the --producer/--consumer shortcuts' sets.
    private func bindings(_ patternType: PatternType) throws -> [AclBinding] {
        func on(_ type: ResourceType, _ names: [String], _ operations: [AclOperation]) throws -> [AclBinding] {
            try names.flatMap { name in
                try entries(operations).map { AclBinding(ResourcePattern(type, name, patternType), $0) }
            }
        }
        guard producer || consumer else {
            return try resources().flatMap { type, name in
                try entries().map { AclBinding(ResourcePattern(type, name, patternType), $0) }
            }
        }
        var result: [AclBinding] = []
        if producer {
            result += try on(.topic, topic, [.write, .describe, .create])
            result += try on(.transactionalID, transactionalId, [.write, .describe])
            if idempotent {
                result += try entries([.idempotentWrite]).map {
                    AclBinding(ResourcePattern(.cluster, ResourceType.clusterName), $0)
                }
            }
        }
        if consumer {
            result += try on(.topic, topic, [.read, .describe])
            result += try on(.group, group, [.read])
        }
        return result
    }

    /// AclCommand's `ResourceTypeToValidOperations`: what an ACL on each resource type may name.
    static let validOperations: [ResourceType: [AclOperation]] = [
        .topic: [.read, .write, .create, .describe, .delete, .describeConfigs, .alterConfigs, .all],
        .group: [.read, .describe, .delete, .all],
        .cluster: [
            .create, .clusterAction, .describeConfigs, .alterConfigs, .idempotentWrite, .alter, .describe, .all,
        ],
        .transactionalID: [.describe, .write, .all],
    ]

    private func confirm(_ question: String) -> Bool {
        if force { return true }
        print(question)
        return readLine()?.lowercased() == "y"
    }

    /// Entries by pattern, in a stable order.
    private static func grouped(_ bindings: [AclBinding]) -> [(ResourcePattern, [AccessControlEntry])] {
        var byPattern: [ResourcePattern: Set<AccessControlEntry>] = [:]
        for binding in bindings { byPattern[binding.pattern, default: []].insert(binding.entry) }
        return byPattern.map { ($0.key, $0.value.sorted { $0.description < $1.description }) }
            .sorted { $0.0.description < $1.0.description }
    }

    /// AclCommand's list of entries: one per line, each after a tab.
    private static func lines(_ entries: [AccessControlEntry]) -> String {
        entries.map { "\t\($0)" }.joined(separator: "\n")
    }
}
