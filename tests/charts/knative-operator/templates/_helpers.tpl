{{/* Chart name and version, as used by the helm.sh/chart label. */}}
{{- define "knative-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels of every object (Knative's chart labels its objects app.kubernetes.io/name: knative-operator). */}}
{{- define "knative-operator.labels" -}}
helm.sh/chart: {{ include "knative-operator.chart" . }}
app.kubernetes.io/name: knative-operator
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.Version | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
llmops.kserve/test-fixture: "true"
{{- end }}

{{/* "image:tag" of a component; the tag defaults to v<appVersion>. Call with (list . .Values.knative_operator.X). */}}
{{- define "knative-operator.image" -}}
{{- $ctx := index . 0 -}}
{{- $component := index . 1 -}}
{{- printf "%s:%s" $component.image ($component.tag | default (printf "v%s" $ctx.Chart.AppVersion)) }}
{{- end }}
