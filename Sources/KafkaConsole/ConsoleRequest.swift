import Foundation

/// One HTTP request as the console's routes see it: path components percent-decoded, the query and the form
/// (`application/x-www-form-urlencoded`) as maps, whether the caller asked for JSON, and its session.
struct ConsoleRequest: Sendable {
    var method: String
    var path: [String]
    var query: [String: String]
    var form: [String: String]
    var wantsJSON: Bool
    var session: ConsoleSession

    /// `a=b&c=d` with `+` as a space and percent escapes decoded; the last of repeated names wins.
    static func decodeForm(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = decodeComponent(String(parts[0]))
            fields[name] = parts.count > 1 ? decodeComponent(String(parts[1])) : ""
        }
        return fields
    }

    static func decodeComponent(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    /// A path component or query value as it goes into a URL.
    static func encode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
    }

    func role(atLeast role: ConsoleRole) -> Bool { (session.role ?? .viewer) >= role }
}

/// What a route answers: a page (HTML in the layout, or its model as JSON), a redirect after a change (with the
/// message to show on the next page), or a failure.
enum ConsoleAnswer: Sendable {
    /// `charts`: inline SVGs by name for the template (`{{{charts.name}}}`), not part of the JSON twin.
    case page(title: String, template: String, model: any Encodable & Sendable, charts: [String: String] = [:])
    case redirect(to: String, message: String)
    case failure(status: Int, title: String, message: String)

    static func notFound(_ what: String) -> ConsoleAnswer {
        .failure(status: 404, title: "Not found", message: "\(what) was not found")
    }
}
