{{- if .Values.metrics.prometheusRule.enabled }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $r := .Values.metrics.prometheusRule -}}
{{- $served := include "kserve-model.servedName" . -}}
{{- $sel := printf "namespace=%q,service=%q" .Release.Namespace (printf "%s-metrics" $full) }}
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
        - alert: LLMModelHighLatency
          expr: >-
            histogram_quantile(0.95, sum by (le) (rate(vllm:e2e_request_latency_seconds_bucket{ {{- $sel -}} }[5m])))
            > {{ $r.p95LatencySeconds }}
          for: {{ $r.for }}
          labels:
            severity: {{ $r.severity }}
            llmops_kserve_model: {{ $full }}
          annotations:
            summary: {{ printf "p95 latency of model %s in %s is above %vs" $served .Release.Namespace $r.p95LatencySeconds | quote }}
            description: >-
              The 95th percentile of end-to-end request latency (vllm:e2e_request_latency_seconds) has been above
              {{ $r.p95LatencySeconds }}s for {{ $r.for }}. Add replicas or devices, or lower max model length.
        - alert: LLMModelHighErrorRate
          expr: >-
            (sum(rate(http_requests_total{ {{- $sel -}},status=~"5.."}[5m]))
            / clamp_min(sum(rate(http_requests_total{ {{- $sel -}} }[5m])), 1e-9))
            > {{ $r.errorRatio }}
          for: {{ $r.for }}
          labels:
            severity: {{ $r.severity }}
            llmops_kserve_model: {{ $full }}
          annotations:
            summary: {{ printf "more than %v%% of the requests to model %s in %s fail" (mulf $r.errorRatio 100) $served .Release.Namespace | quote }}
            description: >-
              The share of 5xx answers of the model server has been above {{ $r.errorRatio }} for {{ $r.for }}.
              Check the predictor logs (kubectl logs -l serving.kserve.io/inferenceservice={{ $full }}).
        - alert: LLMModelRequestsPending
          expr: >-
            sum(vllm:num_requests_waiting{ {{- $sel -}} }) > {{ $r.pendingRequests }}
          for: {{ $r.for }}
          labels:
            severity: {{ $r.severity }}
            llmops_kserve_model: {{ $full }}
          annotations:
            summary: {{ printf "more than %v requests wait for model %s in %s" $r.pendingRequests $served .Release.Namespace | quote }}
            description: >-
              vllm:num_requests_waiting has been above {{ $r.pendingRequests }} for {{ $r.for }}: the model is saturated.
              Raise predictor.maxReplicas or add devices.
{{- end }}
