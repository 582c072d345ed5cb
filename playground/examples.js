// The example gallery. Each entry is a whole playground state (the share link's shape, minus the
// request form, which keeps the brief's request).
const BRIEF = `# The AKS brief's mesh-wide access logging (Telemetry API v1, add-on revision asm-1-22 or later).
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-logging-default
  namespace: aks-istio-system
spec:
  accessLogging:
  - providers:
    - name: envoy
`;

export const EXAMPLES = [
  {
    id: 'brief',
    title: 'AKS brief: mesh-wide logging',
    state: { scope: 'aks', revision: 'asm-1-22', yaml: BRIEF, mesh: '' },
  },
  {
    id: 'blocked-filter',
    title: 'Blocked filter (AKS)',
    state: {
      scope: 'aks', revision: 'asm-1-22', mesh: '',
      yaml: `# Logs only failed requests. Valid for Istio, but accessLogging.filter is blocked on the AKS add-on.
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: errors-only
  namespace: aks-istio-system
spec:
  accessLogging:
  - providers:
    - name: envoy
    filter:
      expression: response.code >= 400
`,
    },
  },
  {
    id: 'metrics',
    title: 'Metrics overrides',
    state: {
      scope: 'istio', revision: '', mesh: '',
      yaml: `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-metrics
  namespace: istio-system
spec:
  metrics:
  - providers:
    - name: prometheus
    overrides:
    - match:
        metric: REQUEST_COUNT
        mode: CLIENT
      disabled: true
    - match:
        metric: REQUEST_DURATION
      tagOverrides:
        request_protocol:
          operation: REMOVE
        request_host:
          value: request.host
`,
    },
  },
  {
    id: 'tracing',
    title: 'Tracing sampling',
    state: {
      scope: 'istio', revision: '',
      mesh: `extensionProviders:
- name: zipkin
  zipkin:
    service: zipkin.istio-system.svc.cluster.local
    port: 9411
`,
      yaml: `apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-tracing
  namespace: istio-system
spec:
  tracing:
  - providers:
    - name: zipkin
    randomSamplingPercentage: 10
    customTags:
      cluster:
        literal:
          value: blue
`,
    },
  },
  {
    id: 'namespace-override',
    title: 'Namespace override',
    state: {
      scope: 'istio', revision: '', mesh: '',
      yaml: `# Mesh-wide logging, switched off for the default namespace.
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: mesh-logging
  namespace: istio-system
spec:
  accessLogging:
  - providers:
    - name: envoy
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: quiet-default
  namespace: default
spec:
  accessLogging:
  - providers:
    - name: envoy
    disabled: true
`,
    },
  },
  {
    id: 'conflict',
    title: 'Conflict between two resources',
    state: {
      scope: 'istio', revision: '', mesh: '',
      yaml: `# Two selector-less Telemetries in one namespace: istiod picks one, the analyzer flags both.
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: logging-a
  namespace: default
spec:
  accessLogging:
  - providers:
    - name: envoy
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata:
  name: logging-b
  namespace: default
spec:
  accessLogging:
  - providers:
    - name: envoy
    disabled: true
`,
    },
  },
];

export const DEFAULT_CUSTOM_SCOPE = `# A custom support scope: field paths (without spec. and indices) and their class.
name: myplatform
title: My platform
default: allowed
blockedBy: the platform's admission policy
fields:
- path: accessLogging.providers
  class: supported
- path: accessLogging.filter
  class: blocked
  note: filters are not allowed here
- path: tracing
  class: blocked
`;

// The brief's inbound request (httpbin's sidecar), as host-tests/fixtures/seed records it.
export const DEFAULT_REQUEST = {
  direction: 'inbound', method: 'GET', path: '/status/418', authority: 'httpbin:8000',
  protocol: 'HTTP/1.1', status: '418', startTime: '2024-08-13T00:31:47.696Z', durationMs: '2.104877',
  requestHeaders: 'user-agent: curl/8.9.1\nx-request-id: cdecaca5-5964-48f3-b42d-f474dfa623d5',
  responseHeaders: 'x-envoy-upstream-service-time: 1',
  properties: JSON.stringify({
    'response.code_details': 'via_upstream', 'response.flags': { int: 0 },
    'request.total_size': { int: 1187 }, 'request.headers_bytes': { uint: 1187 }, 'request.size': { int: 0 },
    'response.size': { int: 135 },
    'upstream.address': '10.244.0.13:8080', 'upstream.local_address': '127.0.0.6:55401',
    'xds.cluster_name': 'inbound|8080||', 'xds.route_name': 'default',
    'destination.address': '10.244.0.13:8080', 'source.address': '10.244.0.12:53336',
    'connection.requested_server_name': 'outbound_.8000_._.httpbin.default.svc.cluster.local',
  }, null, 1),
};
