import Foundation
import HTTPTypes
import Hummingbird
public import Logging
import NIOCore

/// `swiftkafka-console`: the web console over HTTP (Hummingbird). Lifecycle: `run()` opens the history
/// (`ConsoleHistory`), connects the admin client, starts the background invariant check (every
/// `console.sample.interval.ms` with ZooKeeper) and the sampler (`ConsoleSampler`), serves until cancelled (SIGTERM), closes.
///
/// Every request: static files, `/health` and `/metrics` are served as they are; anything else gets its session
/// (cookie `swiftkafka_console`, HttpOnly, SameSite=Strict), must be logged in when `console.users` is set, and a
/// POST must carry the session's CSRF token (form field `csrf` or header `X-CSRF-Token`) and, but for login and
/// logout, is refused in read-only mode — before any route sees it. Answers are HTML, or JSON when the caller's
/// `Accept` names `application/json`; each is logged at debug, a failure at warning, never with a form's values.
public struct ConsoleServer: Sendable {
    public let config: ConsoleConfig
    public let logger: Logger

    static let cookie = "swiftkafka_console"

    public init(config: ConsoleConfig, logger: Logger) {
        self.config = config
        self.logger = logger
    }

    public func run() async throws {
        let history = try ConsoleHistory(directory: config.dataDirectory, retentionMs: config.historyRetentionMs)
        let cluster = try ConsoleCluster(config: config, history: history, logger: logger)
        let sampler = ConsoleSampler(cluster: cluster, history: history, config: config, logger: logger)
        let sessions = ConsoleSessions(users: config.users, timeoutMs: config.sessionTimeoutMs)
        let renderer = try ConsoleRenderer()
        let routes = ConsoleRoutes(cluster: cluster, config: config)
        let metrics = ConsoleMetrics()
        let (host, port) = try config.listener()
        let server = self
        let responder = CallbackResponder<BasicRequestContext> { request, _ in
            let started = ContinuousClock.now
            let response = await server.respond(request, sessions, renderer, routes, metrics)
            metrics.record(method: request.method.rawValue, status: response.status.code, since: started)
            return response
        }
        let logger = self.logger
        let application = Application(
            responder: responder,
            configuration: ApplicationConfiguration(
                address: .hostname(host, port: port),
                serverName: "swiftkafka-console"
            ),
            onServerRunning: { channel in
                let bound = channel.localAddress?.port ?? port
                logger.info("Console serving", metadata: ["url": "http://\(host):\(bound)/"])
            },
            logger: logger
        )
        let checker = Task {
            while !Task.isCancelled {
                do {
                    try await cluster.checkInvariants()
                } catch {
                    logger.warning("Invariant check failed: \(error)")
                }
                try? await Task.sleep(for: .milliseconds(config.sampleIntervalMs))
            }
        }
        let sampling = Task { await sampler.run() }
        defer {
            checker.cancel()
            sampling.cancel()
        }
        do {
            try await application.runService()
        } catch {
            await cluster.close()
            throw error
        }
        checker.cancel()
        sampling.cancel()
        await cluster.close()
    }

    func respond(
        _ request: Request,
        _ sessions: ConsoleSessions,
        _ renderer: ConsoleRenderer,
        _ routes: ConsoleRoutes,
        _ metrics: ConsoleMetrics
    ) async -> Response {
        let path = request.uri.path
        switch path {
        case "/static/console.css": return Self.text(ConsoleStyle.css, type: "text/css; charset=utf-8")
        case "/static/favicon.svg", "/favicon.ico": return Self.text(ConsoleStyle.icon, type: "image/svg+xml")
        case "/static/console.js": return Self.text(ConsoleLive.script, type: "text/javascript; charset=utf-8")
        case "/health": return Self.text(#"{"status":"UP"}"#, type: "application/json")
        case "/metrics": return Self.text(metrics.text(), type: "text/plain; version=0.0.4")
        default: break
        }
        var request = request
        let wantsJSON = request.headers[.accept]?.contains("application/json") ?? false
        let session = await sessions.session(Self.cookieValue(request.headers[.cookie]))
        var form: [String: String] = [:]
        if request.method == .post {
            let body = (try? await request.collectBody(upTo: 1 << 20)).map { String(buffer: $0) } ?? ""
            form = ConsoleRequest.decodeForm(body)
        }
        let query = ConsoleRequest.decodeForm(request.uri.query ?? "")
        let components = path.split(separator: "/").map { ConsoleRequest.decodeComponent(String($0)) }
        let console = ConsoleRequest(
            method: request.method == .post ? "POST" : request.method.rawValue,
            path: components,
            query: query,
            form: form,
            wantsJSON: wantsJSON,
            session: session
        )
        var answer: ConsoleAnswer
        var cookie: ConsoleSession? = session
        if console.method == "POST" && form["csrf"] != session.csrf
            && request.headers[HTTPField.Name("X-CSRF-Token")!] != session.csrf
        {
            logger.warning("Refused a POST without the session's CSRF token", metadata: ["path": "\(path)"])
            answer = .failure(
                status: 403,
                title: "Refused",
                message: "The CSRF token is missing or wrong; reload the page"
            )
        } else if components == ["login"] {
            (answer, cookie) = await login(console, sessions)
            cookie = cookie ?? session
        } else if components == ["logout"] && console.method == "POST" {
            await sessions.logout(session.id)
            cookie = await sessions.session(nil)
            answer = .redirect(to: "/", message: "Logged out")
        } else if sessions.loginRequired && session.user == nil {
            let next = ConsoleRequest.encode(path + (request.uri.query.map { "?" + $0 } ?? ""))
            answer =
                wantsJSON || console.method == "POST"
                ? .failure(status: 401, title: "Log in first", message: "This console requires a login")
                : .redirect(to: "/login?next=\(next)", message: "")
        } else if components == ["events", "overview"] && console.method == "GET" {
            return ConsoleLive.overviewStream(routes.cluster, intervalMs: config.liveIntervalMs)
        } else if console.method == "POST" && config.readOnly {
            logger.warning("Refused a change in read-only mode", metadata: ["path": "\(path)"])
            answer = .failure(
                status: 403,
                title: "Read-only",
                message: "The console is read-only (console.read.only=true)"
            )
        } else if console.method != "GET" && console.method != "POST" {
            answer = .failure(status: 405, title: "Method not allowed", message: "\(console.method) is not served")
        } else {
            answer = await routes.answer(console)
            if case .failure(let status, _, let message) = answer, status >= 500 {
                logger.warning(
                    "Request failed",
                    metadata: ["path": "\(path)", "status": "\(status)", "error": "\(message)"]
                )
            }
        }
        var response = await render(answer, console, cookie ?? session, sessions, renderer)
        if let cookie, cookie.id != Self.cookieValue(request.headers[.cookie]) {
            response.headers[.setCookie] = "\(Self.cookie)=\(cookie.id); Path=/; HttpOnly; SameSite=Strict"
        }
        return response
    }

    private func login(_ request: ConsoleRequest, _ sessions: ConsoleSessions) async -> (ConsoleAnswer, ConsoleSession?)
    {
        let next = request.form["next"] ?? request.query["next"] ?? "/"
        let safeNext = next.hasPrefix("/") && !next.hasPrefix("//") ? next : "/"
        guard request.method == "POST" else {
            return (.page(title: "Log in", template: "login", model: LoginPage(next: safeNext)), nil)
        }
        let user = request.form["user"] ?? ""
        guard
            let session = await sessions.login(user, request.form["password"] ?? "", replacing: request.session.id)
        else {
            logger.warning("Console login refused", metadata: ["user": "\(user)"])
            return (.failure(status: 401, title: "Login refused", message: "Wrong user or password"), nil)
        }
        logger.info("Console login", metadata: ["user": "\(user)"])
        return (.redirect(to: safeNext, message: "Logged in as \(user)"), session)
    }

    private func render(
        _ answer: ConsoleAnswer,
        _ request: ConsoleRequest,
        _ session: ConsoleSession,
        _ sessions: ConsoleSessions,
        _ renderer: ConsoleRenderer
    ) async -> Response {
        let writable = !config.readOnly
        switch answer {
        case .redirect(let location, let message):
            if request.wantsJSON {
                return Self.text(
                    ConsoleRenderer.json(["location": location, "message": message]),
                    type: "application/json"
                )
            }
            if !message.isEmpty { await sessions.flash(session.id, .init(kind: "ok", text: message)) }
            return Response(status: .seeOther, headers: [.location: location])
        case .page(let title, let template, let model, let charts):
            if request.wantsJSON { return Self.text(ConsoleRenderer.json(model), type: "application/json") }
            let view = PageView(
                page: model,
                charts: charts,
                canOperate: writable && (session.role ?? .viewer) >= .operator,
                canAdmin: writable && (session.role ?? .viewer) >= .admin,
                csrf: session.csrf
            )
            let html = renderer.html(template, view, layout: await layout(title, session, sessions))
            return Self.text(html, type: "text/html; charset=utf-8")
        case .failure(let status, let title, let message):
            if request.wantsJSON {
                return Self.text(
                    ConsoleRenderer.json(["error_code": "\(status)", "message": message]),
                    type: "application/json",
                    status: status
                )
            }
            let view = PageView(
                page: ErrorPage(title: title, message: message),
                canOperate: false,
                canAdmin: false,
                csrf: session.csrf
            )
            let html = renderer.html("error", view, layout: await layout(title, session, sessions))
            return Self.text(html, type: "text/html; charset=utf-8", status: status)
        }
    }

    private func layout(_ title: String, _ session: ConsoleSession, _ sessions: ConsoleSessions) async -> LayoutView {
        LayoutView(
            title: title,
            body: "",
            user: session.user,
            role: session.user == nil ? nil : session.role?.rawValue,
            csrf: session.csrf,
            readOnly: config.readOnly,
            zookeeper: config.zookeeperConnect != nil,
            schemaRegistryURL: config.schemaRegistryURL,
            connectURL: config.connectURL,
            flash: await sessions.takeFlash(session.id)
        )
    }

    static func text(_ text: String, type: String, status: Int = 200) -> Response {
        Response(
            status: .init(code: status),
            headers: [
                .contentType: type,
                .contentSecurityPolicy: "default-src 'self'; form-action 'self'; frame-ancestors 'none'",
                HTTPField.Name("X-Content-Type-Options")!: "nosniff",
                HTTPField.Name("Referrer-Policy")!: "same-origin",
            ],
            body: .init(byteBuffer: ByteBuffer(string: text))
        )
    }

    static func cookieValue(_ header: String?) -> String? {
        for part in (header ?? "").split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2 && pair[0] == cookie { return pair[1] }
        }
        return nil
    }
}

struct LoginPage: Encodable, Sendable {
    var next: String
}

struct ErrorPage: Encodable, Sendable {
    var title: String
    var message: String
}
