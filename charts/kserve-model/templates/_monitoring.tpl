{{/*
Monitoring helpers. files/metrics.yaml is the one place metric names are written (the contract; tests check
it against the pinned vLLM); every rule and the dashboard derive from it.
*/}}

{{/* The metric contract (files/metrics.yaml) as YAML; use with fromYaml. */}}
{{- define "kserve-model.metricContract" -}}
{{- .Files.Get "files/metrics.yaml" -}}
{{- end -}}

{{/*
Label that the ServiceMonitor/PodMonitor sets on every series it scrapes (relabeling), so rules and the
dashboard select one model the same way whichever monitor kind scraped it.
*/}}
{{- define "kserve-model.monitorLabel" -}}llmops_kserve_model{{- end -}}

{{/* PromQL label matchers of this model's scraped series (without braces). */}}
{{- define "kserve-model.seriesSelector" -}}
{{- printf "namespace=%q,%s=%q" .Release.Namespace (include "kserve-model.monitorLabel" .) (include "kserve-model.fullname" .) -}}
{{- end -}}

{{/* The relabeling that adds the model label (ServiceMonitor endpoints and PodMonitor podMetricsEndpoints). */}}
{{- define "kserve-model.monitorRelabelings" -}}
relabelings:
  - action: replace
    targetLabel: {{ include "kserve-model.monitorLabel" . }}
    replacement: {{ include "kserve-model.fullname" . | quote }}
{{- end -}}
