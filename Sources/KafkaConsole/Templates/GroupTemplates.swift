/// The consumer groups of both offset stores, a group's page with its reset form, and a reset's plan.
enum GroupTemplates {
    static let groups = """
        <h1>Consumer groups</h1>
        {{^page.zookeeperConfigured}}<p class="muted">Groups whose offsets live in ZooKeeper are shown when
          zookeeper.connect is set.</p>{{/page.zookeeperConfigured}}
        <table data-testid="groups-table">
        <tr><th>Group</th><th>Offsets in</th><th>State</th><th class="num">Members</th><th>Topics</th>
        <th class="num">Lag</th><th class="num">Lag (s)</th><th>Last hour</th></tr>
        {{#page.groups}}<tr data-testid="group-row-{{store}}-{{id}}"><td><a href="/groups/{{id}}?store={{store}}">{{id}}</a></td>
        <td><span class="badge">{{store}}</span></td><td>{{state}}</td><td class="num">{{members}}</td><td>{{topics}}</td>
        <td class="num" data-testid="group-lag-{{store}}-{{id}}">{{lag}}</td>
        <td class="num" data-testid="group-lag-seconds-{{store}}-{{id}}">{{lagSeconds}}</td><td>{{{sparkline}}}</td></tr>
        {{/page.groups}}
        </table>
        """

    static let group = """
        <h1>Group {{page.id}} <span class="badge">{{page.store}}</span></h1>
        <div class="cards">
        <div class="card"><div class="label">State</div><div class="value" data-testid="group-state">{{page.state}}</div></div>
        <div class="card"><div class="label">Members</div><div class="value">{{count(page.members)}}</div></div>
        <div class="card"><div class="label">Lag (records)</div><div class="value" data-testid="group-lag">{{page.lag}}</div></div>
        <div class="card"><div class="label">Lag (seconds, last sample)</div>
          <div class="value" data-testid="group-lag-seconds">{{page.lagSeconds}}</div></div>
        </div>
        <h2>Lag (last hour)</h2>
        <div class="card" data-testid="lag-chart">{{{charts.lag}}}</div>
        <h2>Partitions</h2>
        <table data-testid="group-partitions">
        <tr><th>Topic</th><th class="num">Partition</th><th class="num">Committed</th><th class="num">Log end</th>
        <th class="num">Lag</th><th>Member</th></tr>
        {{#page.partitions}}<tr data-testid="group-partition-{{topic}}-{{partition}}"><td>{{topic}}</td>
        <td class="num">{{partition}}</td><td class="num" data-testid="committed-{{topic}}-{{partition}}">{{committed}}</td>
        <td class="num">{{logEnd}}</td><td class="num" data-testid="lag-{{topic}}-{{partition}}">{{lag}}</td>
        <td class="muted">{{owner}}</td></tr>
        {{/page.partitions}}
        </table>
        <h2>Members</h2>
        <table data-testid="group-members"><tr><th>Member</th><th>Client</th><th>Host</th><th>Assignment</th></tr>
        {{#page.members}}<tr><td>{{memberID}}</td><td>{{clientID}}</td><td>{{host}}</td><td>{{assignment}}</td></tr>{{/page.members}}
        </table>
        {{#canOperate}}{{#page.isInactive}}
        <h2>Reset offsets</h2>
        <form method="post" action="/groups/{{page.id}}/reset?store={{page.store}}" class="row card" data-testid="reset-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Topic (empty: all) <input name="topic" data-testid="reset-topic"></label>
        <label>To <select name="strategy" data-testid="reset-strategy">
          <option value="earliest">earliest</option><option value="latest">latest</option>
          <option value="offset">offset</option><option value="timestamp">time</option></select></label>
        <label>Offset or time <input name="value" data-testid="reset-value"></label>
        <button name="mode" value="dry-run" data-testid="reset-dry-run">Dry run</button>
        <button name="mode" value="execute" class="danger" data-testid="reset-execute">Execute</button>
        </form>
        {{/page.isInactive}}{{^page.isInactive}}<p class="muted">Offsets can be reset once the group has no member.</p>{{/page.isInactive}}{{/canOperate}}
        {{#canAdmin}}{{#page.isInactive}}{{#page.kafkaStore}}
        <form method="post" action="/groups/{{page.id}}/delete" class="row card" data-testid="delete-group-form">
        <input type="hidden" name="csrf" value="{{csrf}}">
        <label>Type the group's id to delete it <input name="confirm" required data-testid="delete-group-confirm"></label>
        <button class="danger" data-testid="delete-group-submit">Delete group</button>
        </form>{{/page.kafkaStore}}{{/page.isInactive}}{{/canAdmin}}
        """

    static let reset = """
        <h1>Reset of {{page.group}} <span class="badge">{{page.store}}</span></h1>
        <p data-testid="reset-outcome">{{#page.executed}}Executed: the group's offsets are now these.{{/page.executed}}
          {{^page.executed}}Dry run: nothing was changed.{{/page.executed}} (to {{page.strategy}})</p>
        <table data-testid="reset-plan"><tr><th>Topic</th><th class="num">Partition</th><th class="num">Current</th>
        <th class="num">New</th></tr>
        {{#page.rows}}<tr data-testid="reset-row-{{topic}}-{{partition}}"><td>{{topic}}</td><td class="num">{{partition}}</td>
        <td class="num">{{current}}</td><td class="num" data-testid="reset-new-{{topic}}-{{partition}}">{{new}}</td></tr>
        {{/page.rows}}
        </table>
        <p><a href="/groups/{{page.group}}?store={{page.store}}">Back to the group</a></p>
        """
}
