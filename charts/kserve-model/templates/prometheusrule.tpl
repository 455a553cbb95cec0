{{- if .Values.metrics.prometheusRule.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $r := .Values.metrics.prometheusRule -}}
{{- $served := include "kserve-model.servedName" . -}}
{{- $m := include "kserve-model.metricContract" . | fromYaml -}}
{{- $sel := include "kserve-model.seriesSelector" . -}}
{{- $w := $r.rateWindow -}}
{{- $ttft := printf "%s_bucket" $m.vllm.timeToFirstToken.name -}}
{{- $itl := printf "%s_bucket" $m.vllm.interTokenLatency.name -}}
{{- $e2e := printf "%s_bucket" $m.vllm.e2eLatency.name -}}
{{- $podSel := printf "namespace=%q,pod=~%q" .Release.Namespace (printf "%s-predictor-.*" $full) -}}
{{- $common := dict "severity" $r.severity "llmops_kserve_model" $full -}}
{{- $minReplicas := ternary 0 (int .Values.predictor.minReplicas) .Values.predictor.scaleToZero -}}
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: {{ $full }}
  namespace: {{ .Release.Namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    {{- with $r.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
spec:
  groups:
    - name: {{ printf "llmops-kserve.%s.%s" .Release.Namespace $full }}
      rules:
        {{- if gt $minReplicas 0 }}
        {{- /* a model that scales to zero has no target while idle: no availability alert on up */}}
        - alert: LLMModelUnavailable
          expr: >-
            (sum({{ $m.prometheus.up.name }}{ {{- $sel -}} }) or vector(0)) < 1
          for: {{ $r.unavailableFor }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "no replica of model %s in %s answers its metrics scrape" $served .Release.Namespace | quote }}
            description: >-
              No scrape target of the model (up, label {{ include "kserve-model.monitorLabel" . }}={{ $full }}) has been up
              for {{ $r.unavailableFor }}: every predictor replica is down, not ready or not scraped.
              Check the InferenceService (kubectl get isvc {{ $full }} -n {{ .Release.Namespace }}).
        {{- end }}
        - alert: LLMModelHighErrorRate
          expr: >-
            (sum(rate({{ $m.http.requests.name }}{ {{- $sel -}},status=~"5.."}[{{ $w }}]))
            / clamp_min(sum(rate({{ $m.http.requests.name }}{ {{- $sel -}} }[{{ $w }}])), 1e-9))
            > {{ $r.errorRatio }}
          for: {{ $r.for }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "more than %v%% of the requests to model %s in %s fail" (mulf $r.errorRatio 100) $served .Release.Namespace | quote }}
            description: >-
              The share of 5xx answers of the model server ({{ $m.http.requests.name }}) has been above {{ $r.errorRatio }}
              for {{ $r.for }}. Check the predictor logs (kubectl logs -l serving.kserve.io/inferenceservice={{ $full }}).
        - alert: LLMModelHighLatency
          expr: >-
            histogram_quantile(0.95, sum by (le) (rate({{ $e2e }}{ {{- $sel -}} }[{{ $w }}])))
            > {{ $r.p95LatencySeconds }}
          for: {{ $r.for }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "p95 latency of model %s in %s is above %vs" $served .Release.Namespace $r.p95LatencySeconds | quote }}
            description: >-
              The 95th percentile of end-to-end request latency ({{ $m.vllm.e2eLatency.name }}) has been above
              {{ $r.p95LatencySeconds }}s for {{ $r.for }}. Add replicas or devices, or lower max model length.
        - alert: LLMModelSlowTimeToFirstToken
          expr: >-
            histogram_quantile(0.95, sum by (le) (rate({{ $ttft }}{ {{- $sel -}} }[{{ $w }}])))
            > {{ $r.p95TimeToFirstTokenSeconds }}
          for: {{ $r.for }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "p95 time to first token of model %s in %s is above %vs" $served .Release.Namespace $r.p95TimeToFirstTokenSeconds | quote }}
            description: >-
              The 95th percentile of time to first token ({{ $m.vllm.timeToFirstToken.name }}) has been above
              {{ $r.p95TimeToFirstTokenSeconds }}s for {{ $r.for }}: prefill is saturated (long prompts or a long queue).
        - alert: LLMModelSlowInterTokenLatency
          expr: >-
            histogram_quantile(0.95, sum by (le) (rate({{ $itl }}{ {{- $sel -}} }[{{ $w }}])))
            > {{ $r.p95InterTokenLatencySeconds }}
          for: {{ $r.for }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "p95 time per output token of model %s in %s is above %vs" $served .Release.Namespace $r.p95InterTokenLatencySeconds | quote }}
            description: >-
              The 95th percentile of inter-token latency ({{ $m.vllm.interTokenLatency.name }}) has been above
              {{ $r.p95InterTokenLatencySeconds }}s for {{ $r.for }}: decoding is saturated (too many running requests).
        - alert: LLMModelRequestsPending
          expr: >-
            sum({{ $m.vllm.requestsWaiting.name }}{ {{- $sel -}} }) > {{ $r.pendingRequests }}
          for: {{ $r.for }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "more than %v requests wait for model %s in %s" $r.pendingRequests $served .Release.Namespace | quote }}
            description: >-
              {{ $m.vllm.requestsWaiting.name }} has been above {{ $r.pendingRequests }} for {{ $r.for }}: the model is saturated.
              Raise predictor.maxReplicas or add devices.
        - alert: LLMModelKVCacheNearFull
          expr: >-
            max({{ $m.vllm.kvCacheUsage.name }}{ {{- $sel -}} }) > {{ $r.kvCacheUsage }}
          for: {{ $r.for }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "KV cache of model %s in %s is more than %v%% full" $served .Release.Namespace (mulf $r.kvCacheUsage 100) | quote }}
            description: >-
              {{ $m.vllm.kvCacheUsage.name }} (0-1) of a replica has been above {{ $r.kvCacheUsage }} for {{ $r.for }}: requests
              get preempted. Add replicas, raise the KV-cache size or lower max model length / max running requests.
        - alert: LLMModelRestarting
          expr: >-
            sum(increase({{ $m.kubeStateMetrics.restarts.name }}{ {{- $podSel -}} }[{{ $r.restartWindow }}])) > {{ $r.restarts }}
          labels:
            {{- toYaml $common | nindent 12 }}
          annotations:
            summary: {{ printf "containers of model %s in %s restarted more than %v times in %s" $served .Release.Namespace $r.restarts $r.restartWindow | quote }}
            description: >-
              {{ $m.kubeStateMetrics.restarts.name }} (kube-state-metrics) of the predictor pods ({{ $full }}-predictor-*)
              grew by more than {{ $r.restarts }} in {{ $r.restartWindow }}: out of memory, a failing probe or a crash.
              Check kubectl describe pod and the previous logs.
{{- end }}
