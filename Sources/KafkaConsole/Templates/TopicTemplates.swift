/// The topics list, a topic's page and its message browser (mustache over `View<Page>`). Forms appear only for
/// a role allowed to use them, never in read-only mode; each carries the session's CSRF token.
enum TopicTemplates {
    static let topics = """
        <h1>Topics <span class="muted">({{count(page.topics)}} of {{page.total}})</span></h1>
        <form method="get" action="/topics" class="row" data-testid="topic-search">
        <label>Name contains <input name="q" value="{{page.query}}" data-testid="topic-search-input"></label>
        <button>Search</button></form>
        <table data-testid="topics-table">
        <tr><th>Name</th><th class="num">Partitions</th><th class="num">Replication</th>
        <th class="num">Under-replicated</th><th class="num">Offline</th><th class="num">Messages</th>
        <th class="num">Size</th></tr>
        {{#page.topics}}<tr data-testid="topic-row-{{name}}"><td><a href="/topics/{{name}}">{{name}}</a>
          {{#isInternal}}<span class="badge">internal</span>{{/isInternal}}</td>
        <td class="num">{{partitions}}</td><td class="num">{{replicationFactor}}</td>
        <td class="num {{^equalzero(underReplicated)}}warn{{/equalzero(underReplicated)}}" data-testid="topic-urp-{{name}}">{{underReplicated}}</td>
        <td class="num {{^equalzero(offline)}}bad{{/equalzero(offline)}}">{{offline}}</td>
        <td class="num" data-testid="topic-messages-{{name}}">{{messages}}</td><td class="num">{{size}}</td></tr>
        {{/page.topics}}
        </table>
        {{#canAdmin}}
        <h2>Create a topic</h2>
        <form method="post" action="/topics" class="row card" data-testid="create-topic-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Name <input name="name" required pattern="[a-zA-Z0-9._\\-]+" maxlength="249" data-testid="create-topic-name"></label>
        <label>Partitions <input name="partitions" type="number" min="1" value="1" data-testid="create-topic-partitions"></label>
        <label>Replication factor <input name="replication.factor" type="number" min="1" value="1"
          data-testid="create-topic-replication"></label>
        <label>Configs (key=value per line) <textarea name="configs" rows="2" data-testid="create-topic-configs"></textarea></label>
        <button data-testid="create-topic-submit">Create</button>
        </form>
        {{/canAdmin}}
        """

    static let topic = """
        <h1>Topic {{page.name}} {{#page.isInternal}}<span class="badge">internal</span>{{/page.isInternal}}</h1>
        <p><a href="/topics/{{page.name}}/messages" data-testid="browse-messages">Browse messages</a> ·
          <span data-testid="topic-message-count">{{page.messages}}</span> messages</p>
        <h2>Partitions</h2>
        <table data-testid="partitions-table">
        <tr><th class="num">Partition</th><th class="num">Leader</th><th class="num">Epoch</th><th>Replicas</th><th>ISR</th>
        <th class="num">Log start</th><th class="num">Log end</th><th class="num">LSO</th><th class="num">Messages</th></tr>
        {{#page.partitions}}<tr data-testid="partition-{{partition}}"><td class="num">{{partition}}</td>
        <td class="num {{#offline}}bad{{/offline}}" data-testid="partition-leader-{{partition}}">{{leader}}</td>
        <td class="num">{{leaderEpoch}}</td><td>{{replicas}}</td>
        <td class="{{#underReplicated}}warn{{/underReplicated}}" data-testid="partition-isr-{{partition}}">{{isr}}
          {{#underReplicated}}<span class="badge" data-testid="urp-{{partition}}">under-replicated</span>{{/underReplicated}}</td>
        <td class="num">{{logStart}}</td><td class="num">{{logEnd}}</td>
        <td class="num" data-testid="partition-lso-{{partition}}">{{lastStable}}</td><td class="num">{{messages}}</td></tr>
        {{/page.partitions}}
        </table>
        {{^empty(page.openTransactions)}}<h2>Open transactions</h2>
        <table data-testid="open-transactions">
        <tr><th class="num">Partition</th><th class="num">Producer id</th><th class="num">Epoch</th>
        <th class="num">First offset</th></tr>
        {{#page.openTransactions}}<tr data-testid="open-transaction"><td class="num">{{partition}}</td>
        <td class="num">{{producerID}}</td><td class="num">{{producerEpoch}}</td><td class="num">{{startOffset}}</td></tr>
        {{/page.openTransactions}}
        </table>{{/empty(page.openTransactions)}}
        {{#canAdmin}}
        <h2>Change</h2>
        <div class="actions">
        <form method="post" action="/topics/{{page.name}}/configs" class="card narrow" data-testid="config-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Config <input name="name" required list="config-names" data-testid="config-name"></label>
        <label>Value (empty: back to the default) <input name="value" data-testid="config-value"></label>
        <button data-testid="config-submit">Set</button>
        </form>
        <form method="post" action="/topics/{{page.name}}/partitions" class="card narrow" data-testid="partitions-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Partitions in all <input name="count" type="number" min="1" required data-testid="partitions-count-input"></label>
        <button data-testid="partitions-submit">Add partitions</button>
        </form>
        <form method="post" action="/topics/{{page.name}}/delete" class="card narrow" data-testid="delete-topic-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Type the topic's name to delete it <input name="confirm" required data-testid="delete-topic-confirm"></label>
        <button class="danger" data-testid="delete-topic-submit">Delete topic</button>
        </form>
        </div>
        <datalist id="config-names">{{#page.configs}}<option value="{{name}}">{{/page.configs}}</datalist>
        {{/canAdmin}}
        <h2>Configs</h2>
        {{> configTable}}
        """

    static let messages = """
        <h1>Messages of <a href="/topics/{{page.topic}}">{{page.topic}}</a></h1>
        <form method="get" action="/topics/{{page.topic}}/messages" class="row card" data-testid="message-query">
        <label>Partition <input name="partition" type="number" min="0" value="{{page.query.partition}}"
          data-testid="query-partition"></label>
        <label>From offset <input name="offset" type="number" value="{{page.query.offset}}" data-testid="query-offset"></label>
        <label>From time (ms or ISO-8601) <input name="timestamp" value="{{page.query.timestamp}}"
          data-testid="query-timestamp"></label>
        <label>Order <select name="order" data-testid="query-order">
          <option value="newest" {{#page.query.newestFirst}}selected{{/page.query.newestFirst}}>newest first</option>
          <option value="oldest" {{^page.query.newestFirst}}selected{{/page.query.newestFirst}}>oldest first</option>
        </select></label>
        <label>Limit <input name="limit" type="number" min="1" max="1000" value="{{page.query.limit}}"
          data-testid="query-limit"></label>
        <label title="Only the partition Kafka's default partitioner (murmur2) gives the key is read, unless a partition
          is given">Key is <input name="key" value="{{page.query.key}}" data-testid="query-key"></label>
        <label>Key or value contains <input name="q" value="{{page.query.contains}}" data-testid="query-contains"></label>
        <label>JSON field <input name="field" value="{{page.query.field}}" placeholder="customer.id"
          data-testid="query-field"></label>
        <label>equals <input name="equals" value="{{page.query.equals}}" data-testid="query-equals"></label>
        <button data-testid="query-submit">Read</button>
        </form>
        <p class="muted" data-testid="scan-summary">{{count(page.messages)}} shown · {{page.scanned}} read from
          partition(s) {{#page.partitions}}{{.}} {{/page.partitions}}in {{page.elapsedMs}} ms
          {{#page.budgetExhausted}}<span class="badge" data-testid="budget-exhausted">budget exhausted</span>{{/page.budgetExhausted}}</p>
        <table data-testid="messages-table">
        <tr><th class="num">Partition</th><th class="num">Offset</th><th>Time</th><th>Key</th><th>Value</th><th>Headers</th></tr>
        {{#page.messages}}<tr data-testid="message-{{partition}}-{{offset}}"><td class="num">{{partition}}</td>
        <td class="num">{{offset}}</td><td>{{time}}</td>
        <td><pre data-testid="message-key" class="{{key.format}}">{{key.text}}</pre></td>
        <td><pre data-testid="message-value" class="{{value.format}}">{{value.text}}</pre></td>
        <td>{{#headers}}<div data-testid="message-header">{{key}}: {{value}}</div>{{/headers}}</td></tr>
        {{/page.messages}}
        </table>
        {{#canOperate}}
        <h2>Produce a message</h2>
        <form method="post" action="/topics/{{page.topic}}/messages" class="card narrow" data-testid="produce-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Partition (empty: by key) <input name="partition" type="number" min="0" data-testid="produce-partition"></label>
        <label>Key <input name="key" data-testid="produce-key"></label>
        <label>Value <textarea name="value" rows="3" data-testid="produce-value"></textarea></label>
        <label>Headers (name: value per line) <textarea name="headers" rows="2" data-testid="produce-headers"></textarea></label>
        <button data-testid="produce-submit">Produce</button>
        </form>
        {{/canOperate}}
        """
}
