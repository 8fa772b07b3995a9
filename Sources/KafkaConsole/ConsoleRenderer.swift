import Foundation
import Mustache

/// What a page template sees: the page's model as `page`, and from the session which forms to show and the CSRF
/// token they carry. The JSON twin of a page is `page` alone.
struct PageView: Sendable {
    var page: any Encodable & Sendable
    var charts: [String: String] = [:]
    var canOperate: Bool
    var canAdmin: Bool
    var csrf: String
}

/// What the layout sees around a rendered page.
struct LayoutView: Sendable {
    struct Flash: Sendable {
        var kind: String
        var text: String
    }

    var title: String
    var body: String
    var user: String? = nil
    var role: String? = nil
    var csrf: String
    var readOnly: Bool
    var zookeeper: Bool
    var schemaRegistryURL: String? = nil
    var connectURL: String? = nil
    var flash: Flash? = nil
}

/// The templates, parsed once at start (a template that does not parse stops the console there, not on a
/// request), and the two renderings of a page: HTML in the layout, and JSON.
struct ConsoleRenderer: Sendable {
    let library: MustacheLibrary

    static let templates: [String: String] = [
        "layout": LayoutTemplates.layout,
        "login": LayoutTemplates.login,
        "error": LayoutTemplates.error,
        "overview": ClusterTemplates.overview,
        "brokerTable": ClusterTemplates.brokerTable,
        "brokers": ClusterTemplates.brokers,
        "broker": ClusterTemplates.broker,
        "configTable": ClusterTemplates.configTable,
        "invariants": ClusterTemplates.invariants,
        "security": ClusterTemplates.security,
        "schemas": ClusterTemplates.schemas,
        "subject": ClusterTemplates.subject,
        "connect": ClusterTemplates.connect,
        "zookeeper": ClusterTemplates.zookeeper,
        "topics": TopicTemplates.topics,
        "topic": TopicTemplates.topic,
        "messages": TopicTemplates.messages,
        "groups": GroupTemplates.groups,
        "group": GroupTemplates.group,
        "reset": GroupTemplates.reset,
    ]

    init() throws {
        var library = MustacheLibrary()
        for (name, text) in Self.templates { try library.register(text, named: name) }
        self.library = library
    }

    func html(_ template: String, _ view: PageView, layout: LayoutView) -> String {
        var layout = layout
        layout.body = library.render(view, withTemplate: template) ?? ""
        return library.render(layout, withTemplate: "layout") ?? ""
    }

    static func json(_ value: any Encodable) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
