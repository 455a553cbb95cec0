{{/* Base name of the objects: the release name when it contains the chart name (the real chart's rule). */}}
{{- define "cert-manager.fullname" -}}
{{- if contains .Chart.Name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "webhook.fullname" -}}
{{- printf "%s-webhook" (include "cert-manager.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "cainjector.fullname" -}}
{{- printf "%s-cainjector" (include "cert-manager.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "startupapicheck.fullname" -}}
{{- printf "%s-startupapicheck" (include "cert-manager.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Chart name and version, as used by the helm.sh/chart label. */}}
{{- define "cert-manager.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Common labels of every object, plus global.commonLabels (as the real chart). */}}
{{- define "cert-manager.labels" -}}
helm.sh/chart: {{ include "cert-manager.chart" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
llmops.kserve/test-fixture: "true"
{{- with .Values.global.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels of a component. Call with (list . "webhook"). */}}
{{- define "cert-manager.selectorLabels" -}}
{{- $ctx := index . 0 -}}
app.kubernetes.io/name: {{ index . 1 }}
app.kubernetes.io/instance: {{ $ctx.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end }}

{{/*
Image reference, with the real chart's rule: [registry/]repository, then @digest or :tag (tag defaults to the
chart's appVersion). Call with (list .Values.webhook.image .Chart.AppVersion).
*/}}
{{- define "cert-manager.image" -}}
{{- $image := index . 0 -}}
{{- $defaultTag := index . 1 -}}
{{- if $image.registry }}{{ printf "%s/%s" $image.registry $image.repository }}{{ else }}{{ $image.repository }}{{ end -}}
{{- if $image.digest }}{{ printf "@%s" $image.digest }}{{ else }}{{ printf ":%s" ($image.tag | default $defaultTag) }}{{ end -}}
{{- end }}

{{/* Whether the CRDs are rendered (crds.enabled, or the deprecated installCRDs). */}}
{{- define "cert-manager.crdsEnabled" -}}
{{- if or .Values.crds.enabled .Values.installCRDs }}true{{ end }}
{{- end }}
