// eectl dashboard: renders the server's snapshots (server-sent events) and sends the confirmed actions.
// Plain DOM, no framework, no build step: everything the page needs is served by `eectl dashboard`.
'use strict';

const state = {
  snapshot: undefined,
  permissions: undefined,
  user: undefined,
  connected: false,
  // The Registry page's answer (GET /api/registry), asked when that page is shown.
  registry: { view: undefined, askedAt: 0, loading: false },
};
const $ = (id) => document.getElementById(id);

/** h('td', {class: 'x'}, 'text', child…): an element; strings become text nodes (never HTML). */
/** The page's answer for one node or service: per object when the server says, else for all of them. */
function allowedFor(kind, id) {
  const p = state.permissions;
  if (!p) return { allowed: false, reason: 'permissions not known yet' };
  const per = kind === 'node' ? p.nodes : p.services;
  const any = kind === 'node' ? p.nodeAvailability : p.scaleService;
  if (per) return per[id] || { allowed: false, reason: 'not decided for this one' };
  return { allowed: Boolean(any), reason: '' };
}

/** Why an action is not offered, from the server's notes. */
function actionNote(key, what, testid) {
  const p = state.permissions;
  if (!p || p[key] || !p.notes || !p.notes[key]) return '';
  return h(
    'p',
    { class: 'muted', 'data-testid': testid },
    `${what}: not offered to ${state.user ? state.user.name : 'you'}: ${p.notes[key]}`,
  );
}

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === false || v === null) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const badge = (text, tone) => h('span', { class: `badge ${tone || ''}` }, text);
const table = (headers, rows, label) =>
  h(
    'table',
    { 'aria-label': label },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', { scope: 'col' }, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length ? rows : h('tr', {}, h('td', { colspan: headers.length, class: 'muted' }, 'none')),
    ),
  );
const panel = (title, ...body) =>
  h('section', { class: 'panel', 'aria-label': title }, h('h2', {}, title), ...body);
const short = (id) => (id || '').slice(0, 12);
const ago = (iso) => {
  const s = Math.round((Date.now() - new Date(iso).getTime()) / 1000);
  if (!iso || Number.isNaN(s)) return '';
  if (s < 60) return `${Math.max(s, 0)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} days ago`;
};
const stateTone = (s) =>
  ['ready', 'running', 'active', 'completed', 'reachable', 'healthy'].includes(s)
    ? 'ok'
    : ['down', 'failed', 'rejected', 'unreachable', 'disconnected', 'paused', 'rollback_paused'].includes(s)
      ? 'bad'
      : 'warn';
const expiryText = (e) =>
  e
    ? h('span', { class: e.due ? 'warn' : '' }, `${e.notAfter.slice(0, 10)} (${e.daysLeft} days)`)
    : h('span', { class: 'muted' }, 'unknown');

// ---- routes

function route() {
  const [, page = 'overview', id] = (location.hash || '#/overview').split('/');
  return { page, id: id ? decodeURIComponent(id) : undefined };
}

function render() {
  const s = state.snapshot;
  const { page, id } = route();
  for (const a of document.querySelectorAll('nav a')) {
    if (a.dataset.route === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  renderHeader(s);
  if (!s) return;
  const focusKey =
    document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.key : undefined;
  const views = { overview, services, service, tasks, node, routes, events, registry };
  const view = views[page] || overview;
  const main = $('main');
  main.replaceChildren(...[view(s, id)].flat());
  if (focusKey) {
    const again = main.querySelector(`[data-key="${CSS.escape(focusKey)}"]`);
    if (again) again.focus();
  }
}

function renderHeader(s) {
  $('live').textContent = state.connected ? 'live' : 'reconnecting…';
  $('live').classList.toggle('down', !state.connected);
  if (state.user) $('user').textContent = `signed in as ${state.user.name}`;
  if (!s) return;
  $('cluster').textContent = s.cluster;
  document.title = `${s.cluster} · eectl dashboard`;
  const words = {
    healthy: 'healthy',
    degraded: 'degraded',
    'quorum-lost': 'quorum lost',
    unreachable: 'API unreachable',
  };
  const tone = { healthy: 'ok', degraded: 'warn', 'quorum-lost': 'bad', unreachable: 'bad' }[s.health];
  const hb = $('health');
  hb.textContent = words[s.health] || s.health;
  hb.className = `badge ${tone}`;
  const banner = $('banner');
  const down = s.managers.filter((m) => !m.apiAnswers);
  const lines = [];
  if (!state.connected)
    lines.push('The dashboard server does not answer: the page shows the last state it had.');
  if (!s.api.ok) lines.push(`The engine API cannot be read: ${s.api.error || 'no manager answers'}.`);
  for (const m of down)
    lines.push(`Manager ${m.hostname || m.address} cannot be reached (${m.apiError || 'no answer'}).`);
  banner.hidden = lines.length === 0;
  banner.replaceChildren(...lines.map((l) => h('div', {}, l)));
  $('foot').replaceChildren(
    `Read from ${s.api.answeredBy || 'no manager'} at ${new Date(s.generatedAt).toLocaleTimeString()} · `,
    h(
      'span',
      { 'data-testid': 'permissions-source' },
      state.permissions
        ? `Actions offered to ${state.user ? state.user.name : 'you'}: ${state.permissions.source}`
        : '',
    ),
  );
}

function overview(s) {
  const managers = s.managers;
  const reachable = managers.filter((m) => m.reachable).length;
  return [
    h('h1', {}, 'Overview'),
    h(
      'div',
      { class: 'grid' },
      h(
        'section',
        { class: 'panel', 'aria-label': 'Quorum' },
        h('h2', {}, 'Control plane'),
        h('div', { class: 'big', 'data-testid': 'manager-count' }, `${s.quorum.managers} managers`),
        h(
          'p',
          { class: `sentence ${s.quorum.hasQuorum ? 'ok' : 'bad'}`, 'data-testid': 'quorum-sentence' },
          s.quorum.sentence,
        ),
        h(
          'p',
          { class: 'muted' },
          `${reachable} of ${managers.length} managers of the file reachable · ${s.quorum.description}`,
        ),
      ),
      h(
        'section',
        { class: 'panel', 'aria-label': 'Nodes summary' },
        h('h2', {}, 'Nodes'),
        h(
          'div',
          { class: 'big' },
          `${s.nodes.filter((n) => n.state === 'ready').length}/${s.nodes.length} ready`,
        ),
        h('p', { class: 'muted' }, summaryByRole(s.nodes)),
        h(
          'p',
          { class: 'muted' },
          `${s.services.length} service${s.services.length === 1 ? '' : 's'} · ${s.tasks.filter((t) => t.state === 'running').length} tasks running`,
        ),
      ),
      h(
        'section',
        { class: 'panel', 'aria-label': 'Certificates' },
        h('h2', {}, 'Certificates'),
        h(
          'dl',
          { class: 'kv' },
          h('dt', {}, 'Cluster CA'),
          h('dd', {}, expiryText(s.ca)),
          managers.flatMap((m) => [
            h('dt', {}, `API ${m.hostname || m.address}`),
            h('dd', {}, expiryText(m.certificate)),
          ]),
        ),
      ),
    ),
    problemsPanel(s),
    panel(
      'Managers',
      table(
        ['Manager', 'Address', 'Raft', 'Engine API', 'Reachable'],
        managers.map((m) =>
          h(
            'tr',
            { 'data-manager': m.address },
            h('td', {}, m.hostname || '?', m.leader ? [' ', badge('leader', 'ok')] : ''),
            h('td', { class: 'mono' }, m.endpoint),
            h('td', {}, m.raft ? badge(m.raft, stateTone(m.raft)) : h('span', { class: 'muted' }, 'unknown')),
            h(
              'td',
              {},
              m.apiAnswers
                ? badge('answers', 'ok')
                : h('span', { class: 'bad' }, `no answer: ${m.apiError || ''}`),
            ),
            h(
              'td',
              { 'data-testid': 'manager-reachability' },
              badge(m.reachable ? 'reachable' : 'unreachable', m.reachable ? 'ok' : 'bad'),
            ),
          ),
        ),
        'Managers',
      ),
    ),
    panel('Nodes', nodesTable(s), actionNote('nodeAvailability', 'Drain and activate', 'node-note')),
    h(
      'div',
      { class: 'grid' },
      panel(
        'Registry replicas',
        h('p', { class: 'muted' }, s.registry.note),
        s.registry.replicas.length === 0
          ? ''
          : table(
              ['Replica', 'Task', '/v2/'],
              s.registry.replicas.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', { class: 'mono' }, r.url),
                  h('td', {}, r.task ? badge(r.task, stateTone(r.task)) : '-'),
                  h('td', {}, badge(r.healthy ? 'healthy' : r.detail, r.healthy ? 'ok' : 'bad')),
                ),
              ),
              'Registry replicas',
            ),
      ),
      panel('Drift from the cluster file', driftList(s.drift)),
    ),
  ];
}

function summaryByRole(nodes) {
  const count = (f) => nodes.filter(f).length;
  const versions = [...new Set(nodes.map((n) => n.engineVersion).filter(Boolean))];
  const plural = (n, w) => `${n} ${w}${n === 1 ? '' : 's'}`;
  return `${plural(
    count((n) => n.role === 'manager'),
    'manager',
  )}, ${plural(
    count((n) => n.role === 'worker'),
    'worker',
  )} · ${count((n) => n.availability !== 'active')} not active · engine ${versions.join(', ') || '?'}`;
}

function problemsPanel(s) {
  if (s.problems.length === 0 && s.warnings.length === 0)
    return panel(
      'Problems and warnings',
      h(
        'p',
        { class: 'ok' },
        'None: every node is ready, every manager reachable, every service at its count.',
      ),
    );
  return panel(
    'Problems and warnings',
    h(
      'ul',
      { class: 'plain' },
      s.problems.map((p) => h('li', { class: 'bad' }, p)),
      s.warnings.map((w) => h('li', { class: 'warn' }, w)),
    ),
  );
}

function driftList(d) {
  const items = [
    ...d.missingFromSwarm.map((x) => `${x} is in the file, not in the swarm`),
    ...d.notInFile.map((x) => `${x} is in the swarm, not in the file`),
    ...d.engineVersions,
  ];
  return items.length
    ? h(
        'ul',
        { class: 'plain' },
        items.map((i) => h('li', { class: 'warn' }, i)),
      )
    : h('p', { class: 'ok' }, 'The cluster matches the file.');
}

function nodesTable(s, only) {
  const nodes = only ? s.nodes.filter(only) : s.nodes;
  const can = state.permissions && state.permissions.nodeAvailability;
  const cell = (n) => {
    const verdict = allowedFor('node', n.id);
    if (!verdict.allowed) return h('td', { class: 'muted', title: verdict.reason }, '-');
    return h(
      'td',
      {},
      n.availability === 'active'
        ? h(
            'button',
            {
              class: 'small',
              'data-key': `drain-${n.id}`,
              onclick: () => confirmAvailability(n, 'drain'),
            },
            'Drain…',
          )
        : h(
            'button',
            {
              class: 'small',
              'data-key': `activate-${n.id}`,
              onclick: () => confirmAvailability(n, 'active'),
            },
            'Activate…',
          ),
    );
  };
  return table(
    [
      'Node',
      'Address',
      'Role',
      'State',
      'Availability',
      'Engine',
      'Tasks',
      can ? 'Action' : undefined,
    ].filter(Boolean),
    nodes.map((n) =>
      h(
        'tr',
        { 'data-node': n.hostname },
        h(
          'td',
          {},
          h('a', { href: `#/node/${encodeURIComponent(n.id)}` }, n.hostname),
          n.leader ? [' ', badge('leader', 'ok')] : '',
        ),
        h('td', { class: 'mono' }, n.address),
        h(
          'td',
          {},
          n.role,
          n.fileRole && n.fileRole !== n.role ? h('span', { class: 'muted' }, ` (file: ${n.fileRole})`) : '',
        ),
        h('td', {}, badge(n.state, stateTone(n.state))),
        h('td', {}, badge(n.availability, stateTone(n.availability))),
        h('td', { class: 'mono' }, n.engineVersion),
        h('td', {}, `${n.tasksRunning}/${n.tasksWanted}`),
        can ? cell(n) : undefined,
      ),
    ),
    'Nodes',
  );
}

function servicesTable(s, list) {
  const can = state.permissions && state.permissions.scaleService;
  const scaleCell = (v) => {
    if (v.mode !== 'replicated') return h('td', {}, '');
    const verdict = allowedFor('service', v.id);
    if (!verdict.allowed) return h('td', { class: 'muted', title: verdict.reason }, '-');
    return h(
      'td',
      {},
      h('button', { class: 'small', 'data-key': `scale-${v.id}`, onclick: () => confirmScale(v) }, 'Scale…'),
    );
  };
  return table(
    [
      'Service',
      'Mode',
      'Replicas',
      'Image',
      'Update',
      'Ports',
      'Collection',
      can ? 'Action' : undefined,
    ].filter(Boolean),
    list.map((v) =>
      h(
        'tr',
        { 'data-service': v.name },
        h(
          'td',
          {},
          h('a', { href: `#/service/${encodeURIComponent(v.id)}` }, v.name),
          v.stack ? h('div', { class: 'muted' }, `stack ${v.stack}`) : '',
        ),
        h('td', {}, v.mode),
        h(
          'td',
          { 'data-testid': 'replicas' },
          badge(
            `${v.running}/${v.desired ?? '-'}`,
            v.desired === undefined || v.running >= v.desired ? 'ok' : 'warn',
          ),
        ),
        h(
          'td',
          { class: 'mono' },
          v.image,
          v.digest ? h('div', { class: 'muted', title: v.digest }, v.digest.slice(0, 19)) : '',
        ),
        h(
          'td',
          {},
          v.updateState ? badge(v.updateState, stateTone(v.updateState)) : h('span', { class: 'muted' }, '-'),
          v.updateMessage ? h('div', { class: 'muted' }, v.updateMessage) : '',
        ),
        h(
          'td',
          { class: 'mono' },
          v.ports.map((p) => `${p.published ?? ''}:${p.target}/${p.protocol} (${p.mode})`).join(', ') || '-',
        ),
        h('td', {}, v.collection || h('span', { class: 'muted' }, '-')),
        can ? scaleCell(v) : undefined,
      ),
    ),
    'Services',
  );
}

function services(s) {
  const canDeploy = state.permissions && state.permissions.deployStack;
  return [
    h('h1', {}, 'Services'),
    canDeploy
      ? h(
          'div',
          { class: 'toolbar' },
          h('button', { class: 'primary', 'data-key': 'deploy', onclick: confirmDeploy }, 'Deploy a stack…'),
          deployNote(),
        )
      : actionNote('deployStack', 'Deploying a stack', 'deploy-note'),
    panel(
      `${s.services.length} services`,
      servicesTable(s, s.services),
      actionNote('scaleService', 'Scaling', 'scale-note'),
    ),
  ];
}

/** Where a stack may go, when the access policy limits it. */
function deployNote() {
  const p = state.permissions;
  return p && p.notes && p.notes.deployStack
    ? h('span', { class: 'muted', 'data-testid': 'deploy-note' }, ` ${p.notes.deployStack}`)
    : '';
}

function tasksTable(list, { showService = true, showNode = true } = {}) {
  const sorted = [...list].sort(
    (a, b) =>
      (a.desiredState === 'running' ? 0 : 1) - (b.desiredState === 'running' ? 0 : 1) ||
      b.updatedAt.localeCompare(a.updatedAt),
  );
  return table(
    [
      'Task',
      showService ? 'Service' : undefined,
      showNode ? 'Node' : undefined,
      'Desired',
      'State',
      'Message / error',
      'Updated',
    ].filter(Boolean),
    sorted.map((t) =>
      h(
        'tr',
        { 'data-task': t.id },
        h(
          'td',
          { class: 'mono' },
          `${t.serviceName}${t.slot ? `.${t.slot}` : ''}`,
          h('div', { class: 'muted' }, short(t.id)),
        ),
        showService
          ? h('td', {}, h('a', { href: `#/service/${encodeURIComponent(t.serviceId)}` }, t.serviceName))
          : undefined,
        showNode
          ? h(
              'td',
              {},
              t.nodeId
                ? h(
                    'a',
                    { href: `#/node/${encodeURIComponent(t.nodeId)}` },
                    t.nodeHostname || short(t.nodeId),
                  )
                : '-',
            )
          : undefined,
        h('td', {}, t.desiredState),
        h('td', {}, badge(t.state, stateTone(t.state))),
        h('td', {}, t.error ? h('span', { class: 'bad' }, t.error) : t.message),
        h('td', { class: 'muted' }, ago(t.updatedAt)),
      ),
    ),
    'Tasks',
  );
}

function tasks(s) {
  const byService = new Map();
  for (const t of s.tasks) byService.set(t.serviceName, [...(byService.get(t.serviceName) || []), t]);
  return [
    h('h1', {}, 'Tasks'),
    ...[...byService.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, list]) =>
        panel(
          `${name} (${list.filter((t) => t.state === 'running').length} running)`,
          tasksTable(list, { showService: false }),
        ),
      ),
    s.tasks.length === 0 ? h('p', { class: 'muted' }, 'No tasks.') : '',
  ];
}

function service(s, id) {
  const v = s.services.find((x) => x.id === id || x.name === id);
  if (!v) return [h('h1', {}, 'Service'), h('p', {}, `No service ${id} (removed?).`)];
  return [
    h('h1', {}, `Service ${v.name}`),
    panel('Service', servicesTable(s, [v])),
    panel(
      'Tasks',
      tasksTable(
        s.tasks.filter((t) => t.serviceId === v.id),
        { showService: false },
      ),
    ),
  ];
}

function node(s, id) {
  const n = s.nodes.find((x) => x.id === id || x.hostname === id);
  if (!n) return [h('h1', {}, 'Node'), h('p', {}, `No node ${id} in the swarm.`)];
  const labels = Object.entries(n.labels || {});
  return [
    h('h1', {}, `Node ${n.hostname}`),
    panel(
      'Node',
      nodesTable(s, (x) => x.id === n.id),
      labels.length
        ? h('p', { class: 'muted' }, 'Labels: ', labels.map(([k, v]) => `${k}=${v}`).join(', '))
        : '',
    ),
    panel(
      'Tasks on this node',
      tasksTable(
        s.tasks.filter((t) => t.nodeId === n.id),
        { showNode: false },
      ),
    ),
  ];
}

/** The ingress's HTTP routes from the services' labels, and the claims refused with their reason. */
function routes(s) {
  const r = s.routes || { routes: [], refused: [] };
  return [
    h('h1', {}, 'Routes'),
    panel(
      r.routes.length === 0
        ? 'No service asks for an HTTP route (eectl.http.* or com.docker.lb.* labels)'
        : `${r.routes.length} route${r.routes.length === 1 ? '' : 's'} through the ingress`,
      table(
        ['Host', 'Path', 'Service', 'Collection', 'TLS', 'Backends', 'Labels'],
        r.routes.map((x) =>
          h(
            'tr',
            { 'data-route': `${x.host}${x.path}` },
            h('td', { class: 'mono' }, x.host),
            h('td', { class: 'mono' }, x.path),
            h('td', {}, h('a', { href: `#/service/${encodeURIComponent(x.service)}` }, x.service)),
            h('td', {}, x.collection),
            h('td', {}, x.tls),
            h(
              'td',
              {
                class:
                  x.backends.desired !== undefined && x.backends.running < x.backends.desired ? 'bad' : '',
              },
              `${x.backends.running}/${x.backends.desired ?? '?'} running`,
            ),
            h('td', { class: 'muted' }, [x.source, ...x.notes].join('; ')),
          ),
        ),
        'Routes',
      ),
    ),
    r.refused.length === 0
      ? ''
      : panel(
          `${r.refused.length} refused`,
          table(
            ['Service', 'Hosts', 'Why'],
            r.refused.map((x) =>
              h(
                'tr',
                { 'data-refused': x.service },
                h('td', {}, x.service),
                h('td', { class: 'mono' }, x.hosts.join(', ')),
                h('td', { class: 'bad' }, x.reason),
              ),
            ),
            'Refused routes',
          ),
        ),
  ];
}

function events(s) {
  return [
    h('h1', {}, 'Events'),
    panel(
      'Swarm events of the last hour, newest first',
      table(
        ['Time', 'Type', 'Action', 'Name', 'Detail'],
        s.events.map((e) =>
          h(
            'tr',
            {},
            h('td', { class: 'muted' }, new Date(e.time).toLocaleTimeString()),
            h('td', {}, e.type),
            h('td', {}, e.action),
            h('td', {}, e.name || short(e.id)),
            h('td', { class: 'mono muted' }, e.detail),
          ),
        ),
        'Events',
      ),
    ),
  ];
}

const REGISTRY_ASK_EVERY_MS = 10_000;

/** Asks the server for the Registry page (it reads the registry at most every 30 s for all pages). */
async function loadRegistry() {
  const r = state.registry;
  if (r.loading || Date.now() - r.askedAt < REGISTRY_ASK_EVERY_MS) return;
  r.loading = true;
  r.askedAt = Date.now();
  try {
    const res = await fetch('/api/registry', { headers: { Accept: 'application/json' } });
    const body = await res.json();
    r.view = res.ok ? body : { error: { message: body.message || `HTTP ${res.status}`, suggestions: [] } };
  } catch (e) {
    r.view = { error: { message: `could not ask the dashboard: ${e.message}`, suggestions: [] } };
  } finally {
    r.loading = false;
  }
  if (route().page === 'registry') render();
}

const bytes = (n) =>
  n === undefined
    ? ''
    : n < 1024
      ? `${n} B`
      : n < 1048576
        ? `${(n / 1024).toFixed(1)} KiB`
        : n < 1073741824
          ? `${(n / 1048576).toFixed(1)} MiB`
          : `${(n / 1073741824).toFixed(2)} GiB`;

/** The repositories the user may pull: tags, digests, sizes and trusted signatures. */
function registry() {
  void loadRegistry();
  const v = state.registry.view;
  if (!v) return [h('h1', {}, 'Registry'), h('p', { class: 'muted' }, 'Reading the registry…')];
  const head = [
    h('h1', {}, 'Registry'),
    h('p', { class: 'muted', 'data-testid': 'registry-source' }, v.source || ''),
  ];
  if (v.error) {
    return [
      ...head,
      panel(
        'The registry could not be read',
        h('p', { class: 'bad', 'data-testid': 'registry-error' }, v.error.message),
        ...(v.error.suggestions || []).map((x) => h('p', { class: 'muted' }, x)),
      ),
    ];
  }
  const notes = [
    v.omittedRepositories > 0
      ? `${v.omittedRepositories} more repositories are not read here: eectl registry ls lists them all`
      : '',
    v.catalogCut ? 'The catalog is longer than the page reads: eectl registry ls lists it all' : '',
    v.keysTrusted ? '' : 'No key is trusted (spec.images.policy.keys): no tag can show as signed',
  ].filter(Boolean);
  return [
    ...head,
    ...notes.map((n) => h('p', { class: 'muted' }, n)),
    v.repositories.length === 0
      ? panel(
          'No repository',
          h('p', { class: 'muted', 'data-testid': 'registry-empty' }, 'No repository you may pull.'),
        )
      : '',
    ...v.repositories.map((repo) =>
      h(
        'section',
        { class: 'panel', 'aria-label': repo.name, 'data-repository': repo.name },
        h(
          'h2',
          {},
          h('span', { class: 'mono' }, repo.name),
          ' ',
          badge(`${repo.tags.length + repo.omittedTags} tags`),
          ' ',
          repo.signedTags > 0 ? badge(`${repo.signedTags} signed`, 'ok') : '',
        ),
        table(
          ['Tag', 'Digest', 'Size', 'Created', 'Signed by a trusted key'],
          repo.tags.map((t) =>
            h(
              'tr',
              { 'data-tag': t.tag },
              h('td', { class: 'mono' }, t.tag),
              h('td', { class: 'mono', title: t.digest }, t.digest.slice(0, 19)),
              h('td', {}, bytes(t.size)),
              h('td', { class: 'muted' }, t.created ? ago(t.created) : ''),
              h(
                'td',
                { 'data-signed': t.signature ? 'signature' : t.signedBy ? 'yes' : 'no' },
                t.signature
                  ? h('span', { class: 'muted' }, 'a signature')
                  : t.signedBy
                    ? badge(t.signedBy, 'ok')
                    : h('span', { class: 'muted' }, 'no'),
              ),
            ),
          ),
          `Tags of ${repo.name}`,
        ),
        repo.omittedTags > 0
          ? h(
              'p',
              { class: 'muted' },
              `${repo.omittedTags} more tags: eectl registry ls ${repo.name} lists them all`,
            )
          : '',
      ),
    ),
    v.readAt ? h('p', { class: 'muted' }, `Read ${ago(v.readAt)} from ${v.registry}.`) : '',
  ];
}

// ---- actions, each behind a confirmation

function ask({ title, body, warnings = [], ok = 'Confirm' }) {
  const dialog = $('confirm');
  $('confirm-title').textContent = title;
  $('confirm-body').replaceChildren(...[body].flat());
  $('confirm-warnings').replaceChildren(...warnings.map((w) => h('li', {}, w)));
  $('confirm-ok').textContent = ok;
  const opener = document.activeElement;
  return new Promise((resolve) => {
    const done = (answer) => {
      dialog.removeEventListener('close', onClose);
      $('confirm-cancel').removeEventListener('click', onCancel);
      if (dialog.open) dialog.close();
      if (opener && opener.isConnected) opener.focus();
      resolve(answer);
    };
    const onClose = () => done(dialog.returnValue === 'ok');
    const onCancel = () => done(false);
    dialog.returnValue = '';
    dialog.addEventListener('close', onClose);
    $('confirm-cancel').addEventListener('click', onCancel);
    dialog.showModal();
    const first = dialog.querySelector('input, textarea') || $('confirm-cancel');
    first.focus();
  });
}

function toast(text, kind) {
  const msg = h('div', { class: `msg ${kind}`, 'data-testid': `toast-${kind}` }, text);
  $('toast').append(msg);
  setTimeout(() => msg.remove(), kind === 'ok' ? 6000 : 20000);
}

async function post(path, body, what) {
  try {
    const res = await fetch(path, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      credentials: 'same-origin',
    });
    const answer = await res.json().catch(() => ({ ok: false, message: `HTTP ${res.status}` }));
    if (answer.ok) toast([answer.message, ...(answer.warnings || [])].join(' · '), 'ok');
    else if (answer.denied) toast(`Denied: ${what}: ${answer.message}`, 'denied');
    else toast(`Failed: ${what}: ${answer.message}`, 'failed');
  } catch (e) {
    toast(`Failed: ${what}: the dashboard server does not answer (${e.message})`, 'failed');
  }
}

async function confirmAvailability(n, availability) {
  const drain = availability === 'drain';
  const others = state.snapshot.nodes.filter(
    (x) => x.id !== n.id && x.availability === 'active' && x.state === 'ready',
  );
  const warnings =
    drain && others.length === 0
      ? [`no other node is active and Ready: the tasks of ${n.hostname} will stop and have nowhere to run`]
      : [];
  const yes = await ask({
    title: drain ? `Drain node ${n.hostname}?` : `Activate node ${n.hostname}?`,
    body: h(
      'p',
      {},
      drain
        ? `No new tasks go to ${n.hostname}, and its ${n.tasksWanted} task(s) are moved to other nodes. Undo with Activate.`
        : `${n.hostname} takes tasks again.`,
    ),
    warnings,
    ok: drain ? 'Drain' : 'Activate',
  });
  if (yes)
    await post(
      `/api/nodes/${encodeURIComponent(n.id)}/availability`,
      { availability },
      `${drain ? 'drain' : 'activate'} ${n.hostname}`,
    );
}

async function confirmScale(v) {
  const input = h('input', {
    id: 'scale-replicas',
    type: 'number',
    min: 0,
    max: 1000,
    value: v.desired ?? 1,
    required: true,
  });
  const yes = await ask({
    title: `Scale ${v.name}`,
    body: [
      h('p', {}, `Now ${v.running} running of ${v.desired} desired.`),
      h('label', { for: 'scale-replicas' }, 'Replicas'),
      input,
    ],
    ok: 'Scale',
  });
  if (yes)
    await post(
      `/api/services/${encodeURIComponent(v.id)}/scale`,
      { replicas: Number(input.value) },
      `scale ${v.name}`,
    );
}

async function confirmDeploy() {
  const name = h('input', {
    id: 'stack-name',
    required: true,
    pattern: '[A-Za-z0-9][A-Za-z0-9_.\\-]*',
    autocomplete: 'off',
  });
  const file = h('input', { id: 'stack-file', type: 'file', accept: '.yml,.yaml' });
  const compose = h('textarea', {
    id: 'stack-compose',
    required: true,
    spellcheck: 'false',
    placeholder:
      "version: '3.8'\nservices:\n  web:\n    image: registry.example.com/web:1.0\n    deploy:\n      replicas: 2",
  });
  file.addEventListener('change', async () => {
    if (file.files[0]) compose.value = await file.files[0].text();
  });
  const yes = await ask({
    title: 'Deploy a Compose v3 file as a stack',
    body: [
      h(
        'p',
        { class: 'muted' },
        'Runs docker stack deploy against the control plane with your client bundle; an existing stack of that name is updated.',
      ),
      h('label', { for: 'stack-name' }, 'Stack name'),
      name,
      h('label', { for: 'stack-file' }, 'Compose file (or paste it below)'),
      file,
      deployNote(),
      h('label', { for: 'stack-compose' }, 'Compose v3'),
      compose,
    ],
    ok: 'Deploy',
  });
  if (yes)
    await post(
      '/api/stacks',
      { name: name.value.trim(), compose: compose.value },
      `deploy stack ${name.value.trim()}`,
    );
}

// ---- live updates

function apply(data) {
  state.snapshot = data.snapshot;
  state.permissions = data.permissions;
  state.user = data.user;
  render();
}

function connect() {
  const source = new EventSource('/api/stream');
  source.addEventListener('state', (e) => {
    state.connected = true;
    apply(JSON.parse(e.data));
  });
  source.addEventListener('open', () => {
    state.connected = true;
    renderHeader(state.snapshot);
  });
  source.addEventListener('error', () => {
    state.connected = false;
    renderHeader(state.snapshot);
    // EventSource retries on its own; the page says it is not live meanwhile.
  });
}

window.addEventListener('hashchange', () => {
  render();
  $('main').focus();
});
$('confirm-form').addEventListener('submit', (e) => {
  if (!e.target.checkValidity()) e.preventDefault();
});
render();
connect();
