/// The overview, brokers, invariants and ZooKeeper pages (mustache over `View<Page>`: `page` is the page's model,
/// `canOperate`/`canAdmin` say which forms to show, `csrf` goes into each form).
enum ClusterTemplates {
    static let overview = """
        <h1>Cluster {{#page.clusterID}}<span class="muted" data-testid="cluster-id">{{.}}</span>{{/page.clusterID}}</h1>
        <div class="cards" data-live="overview">
        <div class="card"><div class="label">Brokers</div>
          <div class="value" data-testid="brokers-count" data-live-field="brokers">{{count(page.brokers)}}</div></div>
        <div class="card"><div class="label">Controller</div>
          <div class="value" data-testid="controller" data-live-field="controllerID">{{page.controllerID}}</div>
          {{#page.controllerEpoch}}<div class="label">epoch <span data-testid="controller-epoch">{{.}}</span></div>{{/page.controllerEpoch}}</div>
        <div class="card"><div class="label">Topics</div><div class="value" data-testid="topics-count" data-live-field="topics">{{page.topics}}</div></div>
        <div class="card"><div class="label">Partitions</div>
          <div class="value" data-testid="partitions-count" data-live-field="partitions">{{page.partitions}}</div></div>
        <div class="card"><div class="label">Online</div>
          <div class="value good" data-testid="online-count" data-live-field="onlinePartitions">{{page.onlinePartitions}}</div></div>
        <div class="card"><div class="label">Offline</div>
          <div class="value {{^equalzero(page.offlinePartitions)}}bad{{/equalzero(page.offlinePartitions)}}" data-testid="offline-count" data-live-field="offlinePartitions">{{page.offlinePartitions}}</div></div>
        <div class="card"><div class="label">Under-replicated</div>
          <div class="value {{^equalzero(page.underReplicatedPartitions)}}warn{{/equalzero(page.underReplicatedPartitions)}}"
            data-testid="under-replicated-count" data-live-field="underReplicatedPartitions">{{page.underReplicatedPartitions}}</div></div>
        <div class="card"><div class="label">Under min ISR</div>
          <div class="value {{^equalzero(page.underMinIsrPartitions)}}bad{{/equalzero(page.underMinIsrPartitions)}}"
            data-testid="under-min-isr-count" data-live-field="underMinIsrPartitions">{{page.underMinIsrPartitions}}</div></div>
        {{#page.invariants}}<div class="card"><div class="label">Invariants ({{checkedAt}})</div>
          <div class="value">{{#ok}}<a class="good" href="/invariants" data-testid="invariants-verdict">ok</a>{{/ok}}{{^ok}}<a class="bad"
            href="/invariants" data-testid="invariants-verdict">{{count(violations)}} violated</a>{{/ok}}</div></div>{{/page.invariants}}
        </div>
        <div class="charts">
        <div><h2>Throughput (last hour)</h2><div class="card" data-testid="throughput-chart">{{{charts.throughput}}}</div></div>
        <div><h2>Request latency</h2><div class="card" data-testid="latency-chart">{{{charts.latency}}}</div></div>
        </div>
        <h2>Brokers</h2>
        {{> brokerTable}}
        <h2>Timeline</h2>
        <div class="card" data-testid="timeline-chart">{{{charts.timeline}}}</div>
        <table data-testid="timeline">
        <tr><th>Time</th><th>Event</th><th class="num">Broker</th><th>Detail</th></tr>
        {{#page.events}}<tr data-testid="event"><td>{{time}}</td><td data-testid="event-kind">{{kind}}</td>
        <td class="num">{{broker}}</td><td data-testid="event-detail">{{detail}}</td></tr>{{/page.events}}
        </table>
        """

    static let brokerTable = """
        <table data-testid="brokers-table">
        <tr><th>Id</th><th>Endpoint</th><th>Rack</th><th class="num">Leaders</th><th class="num">Replicas</th></tr>
        {{#page.brokers}}<tr data-testid="broker-{{id}}"><td><a href="/brokers/{{id}}">{{id}}</a>
          {{#isController}}<span class="badge" data-testid="controller-badge">controller</span>{{/isController}}</td>
        <td>{{host}}:{{port}}</td><td>{{rack}}</td><td class="num">{{leaders}}</td><td class="num">{{replicas}}</td></tr>
        {{/page.brokers}}
        </table>
        """

    static let brokers = """
        <h1>Brokers</h1>
        {{> brokerTable}}
        """

    static let broker = """
        <h1>Broker {{page.id}} {{#page.isController}}<span class="badge">controller</span>{{/page.isController}}</h1>
        <p>{{page.host}}:{{page.port}}{{#page.rack}} · rack {{.}}{{/page.rack}} · {{page.leaders}} leaders ·
          {{page.replicas}} replicas</p>
        <div class="charts">
        <div><h2>Throughput (last hour)</h2><div class="card" data-testid="throughput-chart">{{{charts.throughput}}}</div></div>
        <div><h2>Request latency</h2><div class="card" data-testid="latency-chart">{{{charts.latency}}}</div></div>
        </div>
        <h2>Configs</h2>
        {{> configTable}}
        """

    static let configTable = """
        <table data-testid="configs-table">
        <tr><th>Name</th><th>Value</th><th>Source</th></tr>
        {{#page.configs}}<tr data-testid="config-{{name}}"><td>{{name}}</td>
        <td data-testid="config-value-{{name}}">{{value}}</td><td class="muted">{{source}}</td></tr>{{/page.configs}}
        </table>
        """

    static let security = """
        <h1>Security</h1>
        <h2>ACLs</h2>
        {{^page.authorizer}}<p class="card" data-testid="no-authorizer">No authorizer is configured on the brokers
          (authorizer.class.name is empty): every client may do everything.</p>{{/page.authorizer}}
        {{#page.aclError}}<p class="card error">{{.}}</p>{{/page.aclError}}
        {{#page.authorizer}}<table data-testid="acls">
        <tr><th>Resource</th><th>Name</th><th>Pattern</th><th>Principal</th><th>Host</th><th>Operation</th><th>Permission</th></tr>
        {{#page.acls}}<tr data-testid="acl"><td>{{resourceType}}</td><td>{{resourceName}}</td><td>{{patternType}}</td>
        <td>{{principal}}</td><td>{{host}}</td><td>{{operation}}</td><td>{{permission}}</td></tr>{{/page.acls}}
        </table>{{/page.authorizer}}
        <h2>Client quotas</h2>
        <table data-testid="quotas"><tr><th>Entity</th><th>Quotas</th></tr>
        {{#page.quotas}}<tr data-testid="quota"><td>{{entity}}</td><td>{{values}}</td></tr>{{/page.quotas}}
        </table>
        """

    static let schemas = """
        <h1>Schemas <span class="muted">{{page.url}}</span></h1>
        <p>Global compatibility: <span data-testid="global-compatibility">{{page.compatibility}}</span></p>
        <table data-testid="subjects"><tr><th>Subject</th><th>Versions</th><th class="num">Latest id</th></tr>
        {{#page.subjects}}<tr data-testid="subject-{{name}}"><td><a href="/schemas/{{name}}">{{name}}</a></td>
        <td>{{versions}}</td><td class="num">{{latestID}}</td></tr>{{/page.subjects}}
        </table>
        """

    static let subject = """
        <h1>Subject {{page.subject}}</h1>
        <p>Compatibility: <span data-testid="subject-compatibility">{{page.compatibility}}</span> · versions
          {{#page.versions}}<a href="/schemas/{{page.subject}}?left={{.}}">{{.}}</a> {{/page.versions}}</p>
        <div class="charts">
        {{#page.left}}<div><h2>Version {{version}} <span class="muted">(id {{id}}, {{schemaType}})</span></h2>
        <div class="card"><pre data-testid="schema-left">{{#lines}}<span class="{{#changed}}diff{{/changed}}">{{text}}</span>
        {{/lines}}</pre></div></div>{{/page.left}}
        {{#page.right}}<div><h2>Version {{version}} <span class="muted">(id {{id}}, {{schemaType}})</span></h2>
        <div class="card"><pre data-testid="schema-right">{{#lines}}<span class="{{#changed}}diff{{/changed}}">{{text}}</span>
        {{/lines}}</pre></div></div>{{/page.right}}
        </div>
        """

    static let connect = """
        <h1>Connect <span class="muted">{{page.url}}</span></h1>
        <table data-testid="connectors"><tr><th>Connector</th><th>Type</th><th>State</th><th>Worker</th><th>Tasks</th>
        {{#canOperate}}<th></th>{{/canOperate}}</tr>
        {{#page.connectors}}<tr data-testid="connector-{{name}}"><td>{{name}}</td><td>{{type}}</td>
        <td data-testid="connector-state-{{name}}">{{state}}</td><td>{{workerID}}</td>
        <td>{{#tasks}}<div>{{id}}: {{state}} on {{workerID}}{{#trace}}<pre class="bad">{{.}}</pre>{{/trace}}</div>{{/tasks}}</td>
        {{#canOperate}}<td><form method="post" action="/connect/{{name}}/{{#isPaused}}resume{{/isPaused}}{{^isPaused}}pause{{/isPaused}}"
          class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
          <button data-testid="connector-toggle-{{name}}">{{#isPaused}}Resume{{/isPaused}}{{^isPaused}}Pause{{/isPaused}}</button></form>
          <form method="post" action="/connect/{{name}}/restart" class="inline"><input type="hidden" name="csrf" value="{{csrf}}">
          <button data-testid="connector-restart-{{name}}">Restart</button></form></td>{{/canOperate}}</tr>
        {{/page.connectors}}
        </table>
        {{#canAdmin}}<h2>Create a connector</h2>
        <form method="post" action="/connect" class="card narrow" data-testid="create-connector-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Name <input name="name" required data-testid="connector-name"></label>
        <label>Configuration (key=value per line, connector.class among them)
          <textarea name="config" rows="6" required data-testid="connector-config"></textarea></label>
        <button data-testid="connector-create">Create</button>
        </form>{{/canAdmin}}
        """

    static let invariants = """
        <h1>Invariants</h1>
        <p data-testid="invariants-summary">{{page.summary}} · checked {{page.checkedAt}}</p>
        {{#page.ok}}<p class="card good" data-testid="invariants-ok">Every invariant holds.</p>{{/page.ok}}
        {{^page.ok}}<table data-testid="violations"><tr><th>Kind</th><th>Detail</th></tr>
        {{#page.violations}}<tr><td class="bad">{{kind}}</td><td>{{detail}}</td></tr>{{/page.violations}}</table>{{/page.ok}}
        """

    static let zookeeper = """
        <h1>ZooKeeper <span class="muted">{{page.path}}</span></h1>
        <p><a href="/zookeeper?path=/">/</a>{{#page.crumbs}} / <a href="/zookeeper?path={{path}}">{{name}}</a>{{/page.crumbs}}</p>
        <div class="cards">
        <div class="card"><div class="label">Version</div><div class="value">{{page.version}}</div></div>
        <div class="card"><div class="label">Children version</div><div class="value">{{page.childrenVersion}}</div></div>
        <div class="card"><div class="label">Created</div><div>{{page.created}}</div></div>
        <div class="card"><div class="label">Modified</div><div>{{page.modified}}</div></div>
        {{#page.ephemeralOwner}}<div class="card"><div class="label">Ephemeral owner</div><div>{{.}}</div></div>{{/page.ephemeralOwner}}
        </div>
        <h2>Data <span class="muted">({{page.data.format}})</span></h2>
        <div class="card"><pre data-testid="znode-data">{{page.data.text}}</pre></div>
        <h2>Children</h2>
        <ul data-testid="znode-children">{{#page.children}}<li><a href="/zookeeper?path={{path}}">{{name}}</a></li>{{/page.children}}</ul>
        """
}
