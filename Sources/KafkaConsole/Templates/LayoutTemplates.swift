/// The frame every page is rendered in (navigation, who is logged in, the read-only badge, the flash message) and
/// the login and error pages; mustache (`{{x}}` is HTML-escaped, `{{{body}}}` is the page already rendered).
enum LayoutTemplates {
    static let layout = """
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}} · SwiftKafka console</title>
        <link rel="stylesheet" href="/static/console.css">
        <link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
        <meta name="csrf-token" content="{{csrf}}">
        <script src="/static/console.js" defer></script>
        </head>
        <body>
        <header>
        <a class="brand" href="/">SwiftKafka</a>
        <nav>
        <a href="/" data-testid="nav-overview">Overview</a>
        <a href="/brokers" data-testid="nav-brokers">Brokers</a>
        <a href="/topics" data-testid="nav-topics">Topics</a>
        <a href="/groups" data-testid="nav-groups">Consumer groups</a>
        <a href="/security" data-testid="nav-security">Security</a>
        {{#zookeeper}}<a href="/zookeeper" data-testid="nav-zookeeper">ZooKeeper</a>
        <a href="/invariants" data-testid="nav-invariants">Invariants</a>{{/zookeeper}}
        {{#schemaRegistryURL}}<a href="/schemas" data-testid="nav-schemas">Schemas</a>{{/schemaRegistryURL}}
        {{#connectURL}}<a href="/connect" data-testid="nav-connect">Connect</a>{{/connectURL}}
        </nav>
        <div class="who">
        {{#readOnly}}<span class="badge" data-testid="read-only">read-only</span>{{/readOnly}}
        {{#user}}<span data-testid="user">{{user}} ({{role}})</span>
        <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
        <button data-testid="logout">Log out</button></form>{{/user}}
        </div>
        </header>
        <main>
        {{#flash}}<p class="flash {{kind}}" data-testid="flash">{{text}}</p>{{/flash}}
        {{{body}}}
        </main>
        </body>
        </html>
        """

    static let login = """
        <h1>Log in</h1>
        <form method="post" action="/login" class="card narrow" data-testid="login-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <input type="hidden" name="next" value="{{page.next}}">
        <label>User <input name="user" autocomplete="username" data-testid="login-user" required></label>
        <label>Password <input name="password" type="password" autocomplete="current-password"
          data-testid="login-password" required></label>
        <button data-testid="login-submit">Log in</button>
        </form>
        """

    static let error = """
        <h1>{{page.title}}</h1>
        <p class="card error" data-testid="error">{{page.message}}</p>
        """
}

/// The console's one style sheet (no build step) and its icon.
enum ConsoleStyle {
    static let icon = """
        <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16"><rect width="16" height="16" rx="3" fill="#101828"/>\
        <path d="M4 4h8v2H6v1h6v5H4v-2h6V9H4z" fill="#fff"/></svg>
        """

    static let css = """
        :root { --fg: #1d2330; --muted: #667085; --line: #d9dee7; --bg: #f6f7f9; --accent: #2457c5;
          --bad: #b42318; --warn: #b54708; --good: #067647; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg);
          background: var(--bg); }
        header { display: flex; gap: 24px; align-items: center; padding: 10px 24px; background: #101828; color: #fff; }
        header a { color: #d0d5dd; text-decoration: none; margin-right: 16px; }
        header a:hover { color: #fff; }
        header .brand { color: #fff; font-weight: 700; font-size: 16px; }
        header .who { margin-left: auto; display: flex; gap: 10px; align-items: center; }
        main { padding: 20px 24px; max-width: 1400px; }
        h1 { font-size: 22px; margin: 4px 0 16px; }
        h2 { font-size: 16px; margin: 24px 0 8px; }
        table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
        th, td { text-align: left; padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f5; font-weight: 600; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        .cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
        .card { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 12px 14px; }
        .card .label { color: var(--muted); font-size: 12px; }
        .card .value { font-size: 22px; font-weight: 600; }
        .narrow { max-width: 360px; display: grid; gap: 10px; }
        .bad { color: var(--bad); } .warn { color: var(--warn); } .good { color: var(--good); }
        .badge { background: #fef0c7; color: #7a2e0e; border-radius: 10px; padding: 1px 8px; font-size: 12px; }
        .flash { padding: 8px 12px; border-radius: 6px; background: #ecfdf3; border: 1px solid #abefc6; }
        .flash.error, .card.error { background: #fef3f2; border: 1px solid #fecdca; color: var(--bad); }
        form.inline { display: inline; }
        form.row { display: flex; flex-wrap: wrap; gap: 8px; align-items: end; margin: 8px 0; }
        label { display: grid; gap: 2px; font-size: 12px; color: var(--muted); }
        input, select, textarea { font: inherit; padding: 4px 6px; border: 1px solid var(--line); border-radius: 4px; }
        button { font: inherit; padding: 4px 12px; border-radius: 4px; border: 1px solid var(--accent);
          background: var(--accent); color: #fff; cursor: pointer; }
        button.danger { background: var(--bad); border-color: var(--bad); }
        .diff { background: #fef0c7; display: inline-block; width: 100%; }
        pre { margin: 0; white-space: pre-wrap; word-break: break-all; font: 12px/1.4 ui-monospace, monospace; }
        .muted { color: var(--muted); }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 12px; }
        svg.chart { max-width: 900px; display: block; }
        .actions { display: grid; grid-template-columns: repeat(auto-fill, minmax(320px, 1fr)); gap: 12px; }
        """
}
