{{/* Common labels of every object, plus additionalLabels (as the real chart). */}}
{{- define "keda.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
llmops.kserve/test-fixture: "true"
{{- with .Values.additionalLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Image reference: registry/repository:tag, the tag defaulting to the chart's appVersion. Call with (list image .Chart.AppVersion). */}}
{{- define "keda.image" -}}
{{- $image := index . 0 -}}
{{- printf "%s/%s:%s" $image.registry $image.repository (default (index . 1) $image.tag) -}}
{{- end }}
