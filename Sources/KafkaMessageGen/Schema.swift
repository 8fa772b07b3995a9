import Foundation

/// A version range of a schema ("0-11", "9+", "3", "none"), inclusive; `high == Int.max` is open-ended.
struct Versions: Equatable {
    var low: Int
    var high: Int

    static let none = Versions(low: 1, high: 0)
    static let all = Versions(low: 0, high: Int.max)

    init(low: Int, high: Int) {
        self.low = low
        self.high = high
    }

    init(_ text: String) {
        let text = text.trimmingCharacters(in: .whitespaces)
        if text == "none" {
            self = .none
        } else if text.hasSuffix("+") {
            self.init(low: Int(text.dropLast())!, high: Int.max)
        } else if let dash = text.firstIndex(of: "-") {
            self.init(low: Int(text[..<dash])!, high: Int(text[text.index(after: dash)...])!)
        } else {
            self.init(low: Int(text)!, high: Int(text)!)
        }
    }

    var isEmpty: Bool { low > high }

    func intersecting(_ other: Versions) -> Versions {
        Versions(low: max(low, other.low), high: min(high, other.high))
    }

    /// A Swift condition on `version` that holds for this range within `valid`; "true" or "false" when it
    /// always or never holds there.
    func condition(within valid: Versions) -> String {
        let range = intersecting(valid)
        if range.isEmpty { return "false" }
        let coversLow = range.low <= valid.low
        let coversHigh = range.high >= valid.high
        switch (coversLow, coversHigh) {
        case (true, true): return "true"
        case (false, true): return "version >= \(range.low)"
        case (true, false): return "version <= \(range.high)"
        case (false, false):
            return range.low == range.high
                ? "version == \(range.low)" : "(\(range.low)...\(range.high)).contains(version)"
        }
    }
}

/// A field's type as the schema spells it.
indirect enum FieldType: Equatable {
    case primitive(String)  // bool int8 int16 uint16 int32 uint32 int64 float64 string bytes records uuid
    case array(FieldType)
    case structure(String)

    init(_ text: String) {
        if text.hasPrefix("[]") {
            self = .array(FieldType(String(text.dropFirst(2))))
        } else if let first = text.first, first.isUppercase {
            self = .structure(text)
        } else {
            self = .primitive(text)
        }
    }

    var structName: String? {
        switch self {
        case .structure(let name): name
        case .array(let element): element.structName
        case .primitive: nil
        }
    }
}

/// One field of a schema struct.
struct Field {
    var name: String
    var type: FieldType
    var versions: Versions
    var nullableVersions: Versions
    var taggedVersions: Versions
    var tag: Int?
    var defaultText: String?
    var flexibleVersions: Versions?
    var about: String?
    var fields: [Field]?

    init(json: [String: Any]) {
        name = json["name"] as! String
        type = FieldType(json["type"] as! String)
        versions = Versions(json["versions"] as? String ?? "none")
        nullableVersions = (json["nullableVersions"] as? String).map(Versions.init) ?? .none
        taggedVersions = (json["taggedVersions"] as? String).map(Versions.init) ?? .none
        tag = json["tag"] as? Int
        if let value = json["default"] {
            if let text = value as? String {
                defaultText = text
            } else if type == .primitive("bool") {
                defaultText = (value as? Bool ?? (value as? NSNumber)?.boolValue ?? false) ? "true" : "false"
            } else if let number = value as? NSNumber {
                defaultText = number.stringValue
            }
        }
        flexibleVersions = (json["flexibleVersions"] as? String).map(Versions.init)
        about = json["about"] as? String
        fields = (json["fields"] as? [[String: Any]])?.map(Field.init(json:))
    }
}

/// A schema file: a request, response, header or data message.
struct MessageSchema {
    var name: String
    var kind: String
    var apiKey: Int?
    var validVersions: Versions
    var flexibleVersions: Versions
    var fields: [Field]
    var commonStructs: [(name: String, fields: [Field])]

    init(contentsOf url: URL) throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        // The schemas keep their history in `//` comments, which JSON does not allow.
        let stripped = text.split(separator: "\n", omittingEmptySubsequences: false)
            .map { line -> Substring in
                line.trimmingCharacters(in: .whitespaces).hasPrefix("//") ? "" : line
            }
            .joined(separator: "\n")
        let json = try JSONSerialization.jsonObject(with: Data(stripped.utf8)) as! [String: Any]
        name = json["name"] as! String
        kind = json["type"] as! String
        apiKey = json["apiKey"] as? Int
        validVersions = Versions(json["validVersions"] as! String)
        flexibleVersions = Versions(json["flexibleVersions"] as? String ?? "none")
        fields = (json["fields"] as! [[String: Any]]).map(Field.init(json:))
        commonStructs = ((json["commonStructs"] as? [[String: Any]]) ?? []).map {
            ($0["name"] as! String, ($0["fields"] as! [[String: Any]]).map(Field.init(json:)))
        }
    }

    /// Every struct of the message by name: inline ones (a field with `fields`) and common ones.
    var structs: [(name: String, fields: [Field])] {
        var result: [(String, [Field])] = commonStructs.map { ($0.name, $0.fields) }
        func collect(_ fields: [Field]) {
            for field in fields {
                if let nested = field.fields, let name = field.type.structName {
                    if !result.contains(where: { $0.0 == name }) { result.append((name, nested)) }
                    collect(nested)
                }
            }
        }
        collect(fields)
        for common in commonStructs { collect(common.fields) }
        return result
    }
}
