{{- if .Values.metrics.dashboard.enabled }}
{{- if not .Values.metrics.serviceMonitor.enabled }}
{{- fail "metrics.dashboard.enabled=true needs metrics.serviceMonitor.enabled=true: the dashboard selects the series that the chart's ServiceMonitor/PodMonitor scrapes (label llmops_kserve_model)" }}
{{- end }}
{{- $full := include "kserve-model.fullname" . -}}
{{- $d := .Files.Get "dashboards/vllm.json" | fromJson -}}
{{- $fixed := dict "namespace" .Release.Namespace "model" $full -}}
{{- $vars := list -}}
{{- range $v := $d.templating.list -}}
{{- if hasKey $fixed $v.name -}}
{{- $vars = append $vars (dict "name" $v.name "label" $v.label "type" "constant" "query" (get $fixed $v.name) "hide" 2) -}}
{{- else -}}
{{- $vars = append $vars $v -}}
{{- end -}}
{{- end -}}
{{- $_ := set $d.templating "list" $vars -}}
{{- $_ = set $d "title" (printf "LLM model %s/%s (vLLM)" .Release.Namespace $full) -}}
{{- $_ = set $d "uid" (printf "llmops-%s" (sha256sum (printf "%s/%s" .Release.Namespace $full) | trunc 20)) -}}
# Grafana dashboard of this model (dashboards/vllm.json with namespace and model fixed), loaded by the
# Grafana sidecar from ConfigMaps with its label (metrics.dashboard.labels).
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ printf "%s-dashboard" $full }}
  namespace: {{ default .Release.Namespace .Values.metrics.dashboard.namespace }}
  labels:
    {{- include "kserve-model.labels" . | nindent 4 }}
    {{- with .Values.metrics.dashboard.labels }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- with .Values.metrics.dashboard.annotations }}
  annotations:
    {{- toYaml . | nindent 4 }}
  {{- end }}
data:
  {{ printf "%s-%s.json" .Release.Namespace $full }}: |-
    {{- toPrettyJson $d | nindent 4 }}
{{- end }}
