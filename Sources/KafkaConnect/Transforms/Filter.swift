import Foundation

/// `org.apache.kafka.connect.transforms.Filter`: drops every record it is applied to, so it is used with a
/// predicate (`transforms.x.predicate`, `transforms.x.negate`) that picks which.
public struct Filter: Transformation {
    public init(config: [String: String]) {}

    public func apply<Record: ConnectRecord>(_ record: Record) -> Record? { nil }
}

/// `org.apache.kafka.connect.transforms.predicates.TopicNameMatches`: the topic matches `pattern` whole.
public struct TopicNameMatches: Predicate {
    let regex: NSRegularExpression

    public init(config: [String: String]) throws(ConnectConfigError) {
        let pattern = try TransformSupport.required(config, "pattern")
        do {
            regex = try NSRegularExpression(pattern: pattern)
        } catch {
            throw ConnectConfigError("Invalid value \(pattern) for configuration pattern: not a regular expression")
        }
    }

    public func test<Record: ConnectRecord>(_ record: Record) -> Bool {
        let whole = NSRange(location: 0, length: (record.topic as NSString).length)
        return regex.firstMatch(in: record.topic, range: whole)?.range == whole
    }
}

/// `org.apache.kafka.connect.transforms.predicates.HasHeaderKey`: the record has a header named `name`.
public struct HasHeaderKey: Predicate {
    let name: String

    public init(config: [String: String]) throws(ConnectConfigError) {
        let name = try TransformSupport.required(config, "name")
        self.name = name
    }

    public func test<Record: ConnectRecord>(_ record: Record) -> Bool { record.headers.contains { $0.key == name } }
}

/// `org.apache.kafka.connect.transforms.predicates.RecordIsTombstone`: the record's value is null.
public struct RecordIsTombstone: Predicate {
    public init(config: [String: String]) {}

    public func test<Record: ConnectRecord>(_ record: Record) -> Bool { record.value == nil }
}

/// A connector's transforms in order (`transforms=a,b`, `transforms.a.type`, `transforms.a.predicate`,
/// `transforms.a.negate`, `predicates=p`, `predicates.p.type`, each with its own `…alias.*` settings).
public struct TransformationChain: Sendable {
    struct Step: Sendable {
        var transformation: any Transformation
        var predicate: (any Predicate)?
        var negate: Bool
    }

    let steps: [Step]

    public var isEmpty: Bool { steps.isEmpty }

    public init(connectorConfig config: [String: String]) throws(ConnectConfigError) {
        func settings(_ prefix: String) -> [String: String] {
            var out: [String: String] = [:]
            for (key, value) in config where key.hasPrefix(prefix) { out[String(key.dropFirst(prefix.count))] = value }
            return out
        }
        var predicates: [String: any Predicate] = [:]
        for alias in TransformSupport.list(config["predicates"]) {
            guard let type = config["predicates.\(alias).type"] else {
                throw ConnectConfigError("Missing required configuration \"predicates.\(alias).type\"")
            }
            predicates[alias] = try Transforms.makePredicate(type, config: settings("predicates.\(alias)."))
        }
        var steps: [Step] = []
        for alias in TransformSupport.list(config["transforms"]) {
            guard let type = config["transforms.\(alias).type"] else {
                throw ConnectConfigError("Missing required configuration \"transforms.\(alias).type\"")
            }
            var own = settings("transforms.\(alias).")
            let predicateName = own.removeValue(forKey: "predicate")
            let negate = own.removeValue(forKey: "negate")?.lowercased() == "true"
            own["type"] = nil
            var predicate: (any Predicate)?
            if let predicateName, !predicateName.isEmpty {
                guard let found = predicates[predicateName] else {
                    throw ConnectConfigError(
                        "Invalid value \(predicateName) for configuration transforms.\(alias).predicate: "
                            + "not one of the predicates"
                    )
                }
                predicate = found
            }
            steps.append(
                Step(transformation: try Transforms.make(type, config: own), predicate: predicate, negate: negate)
            )
        }
        self.steps = steps
    }

    /// The record after every step whose predicate holds (nil once a step drops it).
    public func apply<Record: ConnectRecord>(_ record: Record) throws(ConnectDataError) -> Record? {
        var current = record
        for step in steps {
            if let predicate = step.predicate, predicate.test(current) == step.negate { continue }
            guard let next = try step.transformation.apply(current) else { return nil }
            current = next
        }
        return current
    }
}
