{{/* Chart name and version, as used by the helm.sh/chart label. */}}
{{- define "kserve-resources.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The KServe version image tags default to. */}}
{{- define "kserve-resources.version" -}}
{{- .Values.kserve.version | default .Chart.AppVersion }}
{{- end }}

{{/* Common labels of every object. */}}
{{- define "kserve-resources.labels" -}}
helm.sh/chart: {{ include "kserve-resources.chart" . }}
app.kubernetes.io/name: kserve
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ include "kserve-resources.version" . | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: kserve
llmops.kserve/test-fixture: "true"
{{- end }}

{{/* Selector labels of the controller. */}}
{{- define "kserve-resources.selectorLabels" -}}
control-plane: kserve-controller-manager
app.kubernetes.io/name: kserve-controller-manager
{{- end }}

{{/*
Name of a cluster-scoped object. KServe's chart uses fixed names; the fixture appends the release namespace so
that several test installs can share one test cluster.
*/}}
{{- define "kserve-resources.clusterName" -}}
{{- $ctx := index . 0 -}}
{{- printf "%s-%s" (index . 1) $ctx.Release.Namespace | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* "image:tag" with the tag defaulting to the KServe version. Call with (list . .Values.kserve.storage). */}}
{{- define "kserve-resources.image" -}}
{{- $ctx := index . 0 -}}
{{- $img := index . 1 -}}
{{- printf "%s:%s" $img.image ($img.tag | default (include "kserve-resources.version" $ctx)) }}
{{- end }}

{{/* Whether cert-manager objects and the inferenceservice-config ConfigMap are rendered (as in KServe's chart). */}}
{{- define "kserve-resources.certManagerEnabled" -}}
{{- if .Values.kserve.certManager.enabled | default .Values.kserve.createSharedResources }}true{{ end }}
{{- end }}
{{- define "kserve-resources.configEnabled" -}}
{{- if .Values.kserve.inferenceServiceConfig.enabled | default .Values.kserve.createSharedResources }}true{{ end }}
{{- end }}
