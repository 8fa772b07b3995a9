import Foundation

/// Which topics or groups a flow mirrors (Java's `DefaultTopicFilter` and `DefaultGroupFilter`): a name passes
/// when it matches one of the `include` regexes whole and none of the `exclude` ones. Each list is
/// comma-separated, joined with `|` as Kafka does; an empty list matches nothing. Immutable once made.
public struct NameFilter: Sendable {
    public static let defaultTopicsExclude = #".*[\-\.]internal, .*\.replica, __.*"#
    public static let defaultGroupsExclude = "console-consumer-.*, connect-.*, __.*"

    private let include: NSRegularExpression?
    private let exclude: NSRegularExpression?

    /// A filter from the two lists' texts; `key` names the include key in errors (`topics`, `groups`).
    public init(include: String, exclude: String, key: String) throws(MirrorConfigError) {
        self.include = try Self.compile(include, key: key)
        self.exclude = try Self.compile(exclude, key: key + ".exclude")
    }

    public func matches(_ name: String) -> Bool {
        guard let include, Self.wholeMatch(include, name) else { return false }
        if let exclude, Self.wholeMatch(exclude, name) { return false }
        return true
    }

    private static func compile(_ list: String, key: String) throws(MirrorConfigError) -> NSRegularExpression? {
        let parts = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        let joined = parts.joined(separator: "|")
        do {
            return try NSRegularExpression(pattern: "^(?:" + joined + ")$")
        } catch {
            throw MirrorConfigError(key: key, reason: "\(joined) is not a regular expression")
        }
    }

    private static func wholeMatch(_ regex: NSRegularExpression, _ name: String) -> Bool {
        let whole = NSRange(location: 0, length: (name as NSString).length)
        return regex.firstMatch(in: name, range: whole) != nil
    }
}
